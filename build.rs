//! A `uc` runs beside every service (its runner in the pane). Linked as a position-dependent
//! executable, its read-only data needs no relocation at start, so those pages stay shared
//! between all of them instead of ~370 KiB private per process.
fn main() {
    println!("cargo:rustc-link-arg-bin=uc=-no-pie");
}
