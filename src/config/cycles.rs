//! Finding cycles in `depends_on`, so each can be reported by name.

use serde_saphyr::Location;

/// A dependency edge: the target service and where it is written.
pub type Edge<'a> = (usize, &'a Location);

/// Each cycle as the services on it, each with its edge to the next one, starting from the
/// service written first. Reports at least one cycle per tangle, which is enough to fix it.
pub fn find<'a>(edges: &[Vec<Edge<'a>>]) -> Vec<Vec<Edge<'a>>> {
    let mut search = CycleSearch {
        edges,
        marks: vec![Mark::New; edges.len()],
        path: Vec::new(),
        cycles: Vec::new(),
    };
    for node in 0..edges.len() {
        if search.marks[node] == Mark::New {
            search.visit(node);
        }
    }
    search.cycles
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    New,
    OnPath,
    Done,
}

struct CycleSearch<'e, 'a> {
    edges: &'e [Vec<Edge<'a>>],
    marks: Vec<Mark>,
    /// Services being visited, each with the edge being followed out of it.
    path: Vec<Edge<'a>>,
    cycles: Vec<Vec<Edge<'a>>>,
}

impl CycleSearch<'_, '_> {
    fn visit(&mut self, node: usize) {
        self.marks[node] = Mark::OnPath;
        for &(next, at) in &self.edges[node] {
            self.path.push((node, at));
            match self.marks[next] {
                Mark::New => self.visit(next),
                Mark::OnPath => self.record(next),
                Mark::Done => {}
            }
            self.path.pop();
        }
        self.marks[node] = Mark::Done;
    }

    fn record(&mut self, start: usize) {
        let Some(from) = self.path.iter().position(|&(n, _)| n == start) else {
            return;
        };
        let mut cycle = self.path[from..].to_vec();
        let first = (0..cycle.len()).min_by_key(|&i| cycle[i].0).unwrap_or(0);
        cycle.rotate_left(first);
        self.cycles.push(cycle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(cycles: &[Vec<Edge>]) -> Vec<Vec<usize>> {
        cycles
            .iter()
            .map(|c| c.iter().map(|&(n, _)| n).collect())
            .collect()
    }

    #[test]
    fn finds_a_cycle_from_its_first_service() {
        let at = Location::UNKNOWN;
        // 0 -> 1, 1 -> 2, 2 -> 1, 3 -> 0: only 1 -> 2 -> 1 is a cycle.
        let edges = vec![
            vec![(1, &at)],
            vec![(2, &at)],
            vec![(1, &at)],
            vec![(0, &at)],
        ];
        assert_eq!(names(&find(&edges)), [vec![1, 2]]);
    }

    #[test]
    fn rotates_to_the_service_written_first() {
        let at = Location::UNKNOWN;
        // Entered at 2 from 0: 2 -> 1 -> 2, reported as 1 -> 2.
        let edges = vec![vec![(2, &at)], vec![(2, &at)], vec![(1, &at)]];
        assert_eq!(names(&find(&edges)), [vec![1, 2]]);
    }

    #[test]
    fn acyclic_graphs_have_none() {
        let at = Location::UNKNOWN;
        let edges = vec![vec![(1, &at), (2, &at)], vec![(2, &at)], vec![]];
        assert!(find(&edges).is_empty());
    }
}
