//! Checks a merged, interpolated tree with the workspace schema and the validation rules,
//! reporting every problem at the place the user wrote it.
//!
//! The tree is written out as YAML with a map from each written node back to its origin,
//! and read with serde. Serde stops at the first problem, so the node it names is taken
//! out (or, for a missing key, a stand-in is put in) and the text read again, until it
//! reads; then validation reports all that is left.

use std::collections::HashMap;
use std::path::Path;

use super::emit::{self, Emitted, Mark, Mode, Step, What, key_path};
use super::schema::WorkspaceFile;
use super::tree::{Entry, Found, Key, Kind, Node, Origin};
use super::{Problem, Workspace, load, validate};

/// Keys the loader has used up before checking; the schema lists them for editors only.
pub(crate) const LOADER_KEYS: [&str; 2] = ["environments", "secrets"];

/// Past this many serde errors in one file the rest are left for the next run.
const MAX_ROUNDS: usize = 64;

/// Stand-ins take this file index; problems about them are not the user's.
const STAND_IN: usize = usize::MAX;

pub(crate) struct Checked {
    pub workspace: Option<Workspace>,
    pub found: Vec<Found>,
}

pub(crate) fn check(root: Option<&Node>, file: &Path, dir: &Path) -> Checked {
    // Copied only once a node has to go.
    let mut edited: Option<Node> = None;
    let mut repair = Repair::default();
    for _ in 0..MAX_ROUNDS {
        let emitted = emit::emit(edited.as_ref().or(root), Mode::Check, &LOADER_KEYS);
        let options = serde_saphyr::options! { with_snippet: false };
        let err = match serde_saphyr::from_str_with_options::<WorkspaceFile>(&emitted.text, options)
        {
            Ok(spec) => return finish(&spec, &emitted, file, dir, repair.found),
            Err(err) => err,
        };
        let problem = load::yaml_problem(&err, file);
        // A misplaced key, or a missing one (put at the last key read), is found at a key;
        // a wrong value at its node, which for a block map starts at its first key.
        let keyed = problem.message.starts_with("unknown field")
            || missing_field(&problem.message).is_some();
        let prefer = if keyed { What::Key } else { What::Map };
        let Some(mark) = emitted.find(problem.line, problem.column, prefer) else {
            repair.found.push(at_start(problem));
            break;
        };
        let path = emitted.path(mark);
        if edited.is_none() {
            edited = root.cloned();
        }
        let Some(tree) = edited.as_mut() else {
            repair.found.push(at_start(problem));
            break;
        };
        if !repair.fix(tree, &problem, mark, path) {
            if mark.at.file == STAND_IN {
                repair.found.push(at_start(problem));
            }
            break;
        }
    }
    Checked {
        workspace: None,
        found: repair.found,
    }
}

/// What serde reported so far, and what was changed to read on.
#[derive(Default)]
struct Repair {
    found: Vec<Found>,
    removed: Vec<Vec<Step>>,
    stand_ins: HashMap<String, usize>,
}

impl Repair {
    /// Reports `problem` (unless it is about a stand-in) and changes `root` so the next
    /// read gets past it; false when nothing could change.
    fn fix(&mut self, root: &mut Node, problem: &Problem, mark: &Mark, path: Vec<Step>) -> bool {
        if let Some(field) = missing_field(&problem.message) {
            return self.missing(root, problem, field, mark, path);
        }
        if mark.at.file != STAND_IN {
            self.found.push(located(problem, mark.at, &key_path(&path)));
        }
        let removed = remove(root, &path);
        self.removed.push(path);
        removed
    }

    /// serde-saphyr puts a missing key at the last key read in its map (or at the map,
    /// when it is empty). A key taken out for being wrong is not reported missing too.
    fn missing(
        &mut self,
        root: &mut Node,
        problem: &Problem,
        field: &str,
        mark: &Mark,
        mut map: Vec<Step>,
    ) -> bool {
        if mark.what == What::Key {
            map.pop();
        }
        let at = node_at(root, &map).map_or(mark.at, |n| n.at);
        let mut path = map.clone();
        path.push(Step::Key(field.to_owned()));
        if !self.removed.contains(&path) && at.file != STAND_IN {
            self.found.push(located(problem, at, &key_path(&map)));
        }
        stand_in(root, &map, field, &mut self.stand_ins)
    }
}

fn finish(
    spec: &WorkspaceFile,
    emitted: &Emitted,
    file: &Path,
    dir: &Path,
    mut found: Vec<Found>,
) -> Checked {
    let (workspace, problems) = match validate::validate(spec, file, dir) {
        Ok(workspace) => (Some(workspace), Vec::new()),
        Err(problems) => (None, problems),
    };
    for problem in &problems {
        // A misplaced key, or a missing one (put at the last key read), is found at a key;
        // a wrong value at its node, which for a block map starts at its first key.
        let keyed = problem.message.starts_with("unknown field")
            || missing_field(&problem.message).is_some();
        let prefer = if keyed { What::Key } else { What::Map };
        let Some(mark) = emitted.find(problem.line, problem.column, prefer) else {
            found.push(at_start(problem.clone()));
            continue;
        };
        if mark.at.file != STAND_IN {
            found.push(located(problem, mark.at, &key_path(&emitted.path(mark))));
        }
    }
    Checked {
        workspace: workspace.filter(|_| found.is_empty()),
        found,
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

fn located(problem: &Problem, at: Origin, path: &str) -> Found {
    Found::error(at, path, problem.message.clone(), problem.hint.clone())
}

/// A problem with no node to point at is put at the top of the workspace file.
fn at_start(problem: Problem) -> Found {
    let at = Origin {
        file: 0,
        line: problem.line.min(1),
        column: problem.column.min(1),
    };
    Found::error(at, "", problem.message, problem.hint)
}

fn node_at<'a>(node: &'a mut Node, path: &[Step]) -> Option<&'a mut Node> {
    let Some((step, rest)) = path.split_first() else {
        return Some(node);
    };
    let child = match (&mut node.kind, step) {
        (Kind::Map { entries, .. }, Step::Key(k)) => entries
            .iter_mut()
            .find(|e| &e.key.name == k)
            .map(|e| &mut e.value),
        (Kind::Seq { items, .. }, Step::Index(i)) => items.get_mut(*i),
        _ => None,
    }?;
    node_at(child, rest)
}

fn remove(root: &mut Node, path: &[Step]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let Some(parent) = node_at(root, parent) else {
        return false;
    };
    match (&mut parent.kind, last) {
        (Kind::Map { entries, .. }, Step::Key(k)) => {
            let before = entries.len();
            entries.retain(|e| &e.key.name != k);
            entries.len() != before
        }
        (Kind::Seq { items, .. }, Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

/// Puts a value of the next kind (text, list, map) in place of a missing key, or takes
/// the whole map out once none fits.
fn stand_in(
    root: &mut Node,
    map: &[Step],
    field: &str,
    tries: &mut HashMap<String, usize>,
) -> bool {
    let tried = tries
        .entry(format!("{}/{field}", key_path(map)))
        .or_insert(0);
    *tried += 1;
    let at = Origin {
        file: STAND_IN,
        ..Origin::default()
    };
    let kind = match *tried {
        1 => Node::scalar("-", false, at).kind,
        2 => Kind::Seq {
            items: Vec::new(),
            flow: true,
        },
        3 => Kind::Map {
            entries: Vec::new(),
            flow: true,
        },
        _ => return remove(root, map),
    };
    let Some(Node {
        kind: Kind::Map { entries, .. },
        ..
    }) = node_at(root, map)
    else {
        return remove(root, map);
    };
    entries.retain(|e| e.key.name != field);
    let key = Key {
        name: field.to_owned(),
        at,
        quoted: false,
    };
    entries.push(Entry {
        key,
        value: Node { at, kind },
    });
    true
}
