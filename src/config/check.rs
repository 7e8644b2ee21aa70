//! Checks a merged, interpolated tree with the workspace schema and the validation rules,
//! reporting every problem at the place the user wrote it.
//!
//! The tree is read with serde straight from its nodes ([`de`]), so an error names the
//! node it is about, with its origin and key path. Serde stops at the first problem, so
//! that node is taken out (or, for a missing key, a stand-in is put in) and the tree read
//! again, until it reads; then validation reports all that is left, each at the node its
//! value came from.

use std::collections::HashMap;
use std::path::Path;

use serde_saphyr::Error as YamlError;

use super::de::{self, Failure, Read, Spot};
use super::schema::WorkspaceFile;
use super::secrets::Bindings;
use super::tree::{Entry, Found, Key, Kind, Node, Origin, Step, key_path};
use super::validate::{self, Invalid};
use super::{Problem, Workspace, load};

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

pub(crate) fn check(root: Option<&Node>, file: &Path, dir: &Path, bindings: &Bindings) -> Checked {
    // Copied only once a node has to go.
    let mut edited: Option<Node> = None;
    let mut repair = Repair::default();
    for _ in 0..MAX_ROUNDS {
        let tree = edited.as_ref().or(root);
        let Failure { yaml, spot } = match de::from_tree::<WorkspaceFile>(tree, &LOADER_KEYS) {
            Ok(mut read) => {
                // Read by the loader, not the schema: deploy rules and pipelines name them.
                let declared = super::environments::declared(tree, &mut Vec::new());
                read.value.environments = Some(super::schema::EnvironmentsSpec::Names(
                    declared.into_iter().map(|d| d.environment.name).collect(),
                ));
                return finish(read, file, dir, bindings, repair.found);
            }
            Err(failure) => *failure,
        };
        let problem = load::yaml_problem(&yaml, file);
        if edited.is_none() {
            edited = root.cloned();
        }
        let Some(spot) = spot else {
            repair.found.push(at_start(problem));
            break;
        };
        let Some(tree) = edited.as_mut() else {
            // No tree: the file is empty, and its problem at its start.
            repair.found.push(located(&problem, spot.at, ""));
            break;
        };
        if !repair.fix(tree, &yaml, &problem, &spot) {
            if spot.at.file == STAND_IN {
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
    fn fix(&mut self, root: &mut Node, yaml: &YamlError, problem: &Problem, spot: &Spot) -> bool {
        if let YamlError::SerdeMissingField { field, .. } = yaml {
            return self.missing(root, problem, field, spot);
        }
        if spot.at.file != STAND_IN {
            self.found
                .push(located(problem, spot.at, &key_path(&spot.path)));
        }
        let removed = remove(root, &spot.path);
        self.removed.push(spot.path.clone());
        removed
    }

    /// A missing key is reported at its map. A key taken out for being wrong is not
    /// reported missing too.
    fn missing(&mut self, root: &mut Node, problem: &Problem, field: &str, map: &Spot) -> bool {
        let mut path = map.path.clone();
        path.push(Step::Key(field.to_owned()));
        if !self.removed.contains(&path) && map.at.file != STAND_IN {
            self.found
                .push(located(problem, map.at, &key_path(&map.path)));
        }
        stand_in(root, &map.path, field, &mut self.stand_ins)
    }
}

fn finish(
    read: Read<WorkspaceFile>,
    file: &Path,
    dir: &Path,
    bindings: &Bindings,
    mut found: Vec<Found>,
) -> Checked {
    // A `Spanned` location's source id is its spot, 1-based; 0 for none.
    let spot_of = |at: &serde_saphyr::Location| {
        usize::try_from(at.source_id())
            .ok()
            .and_then(|id| id.checked_sub(1))
            .and_then(|i| read.spots.get(i))
    };
    let (workspace, problems) = match validate::validate(&read.value, file, dir, bindings) {
        Ok(mut workspace) => {
            workspace.quotas.locate(|at| spot_of(at).map(|(at, _)| *at));
            (Some(workspace), Vec::new())
        }
        Err(problems) => (None, problems),
    };
    for Invalid { at, message, hint } in problems {
        match spot_of(&at) {
            Some((at, _)) if at.file == STAND_IN => {}
            Some((at, path)) => found.push(Found::error(*at, path, message, hint)),
            None => found.push(at_start(Problem::new(file, 0, 0, message, hint))),
        }
    }
    Checked {
        workspace: workspace.filter(|_| found.is_empty()),
        found,
    }
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
