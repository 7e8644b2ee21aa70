//! Grouping Accuracy, the Loghub benchmark's measure: a line is correct iff the set of
//! lines sharing its predicted group is exactly the set sharing its true event.

use std::collections::HashMap;
use std::hash::Hash;

pub fn grouping_accuracy<T: Eq + Hash, P: Eq + Hash>(truth: &[T], predicted: &[P]) -> f64 {
    let mut by_pred: HashMap<&P, Vec<usize>> = HashMap::new();
    let mut by_truth: HashMap<&T, usize> = HashMap::new();
    for (i, (t, p)) in truth.iter().zip(predicted).enumerate() {
        by_pred.entry(p).or_default().push(i);
        *by_truth.entry(t).or_default() += 1;
    }
    let correct: usize = by_pred
        .values()
        .filter(|lines| {
            let event = &truth[lines[0]];
            lines.iter().all(|&l| &truth[l] == event) && by_truth[event] == lines.len()
        })
        .map(Vec::len)
        .sum();
    correct as f64 / truth.len() as f64
}
