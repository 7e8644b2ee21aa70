//! A `uc` runs beside every service (its runner in the pane). Linked as a position-dependent
//! executable, its read-only data needs no relocation at start, so those pages stay shared
//! between all of them instead of ~370 KiB private per process.
//!
//! The web page (`web/`, built with npm into `assets/web/dist`, which is committed) is
//! embedded: this lists the dist folder into a table `serve::page` includes, so the binary
//! needs no Node and no files beside it.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rustc-link-arg-bin=uc=-no-pie");
    embed_web_page();
}

/// `$OUT_DIR/web_assets.rs`: an `Asset` (name, bytes, gzipped bytes) for every file of the
/// dist folder that is not itself a `.gz`, sorted by name so the table is the same every
/// build.
fn embed_web_page() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&root).join("assets/web/dist");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut names: Vec<String> = std::fs::read_dir(&dist)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| !name.ends_with(".gz"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut table = String::from("pub static FILES: &[Asset] = &[\n");
    for name in names {
        let path = dist.join(&name);
        let gz = dist.join(format!("{name}.gz"));
        let gz = if gz.exists() {
            format!("Some(include_bytes!({:?}))", gz.display().to_string())
        } else {
            "None".to_owned()
        };
        let path = path.display().to_string();
        writeln!(
            table,
            "    Asset {{ name: {name:?}, plain: include_bytes!({path:?}), gzip: {gz} }},"
        )
        .expect("a String");
    }
    table.push_str("];\n");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("web_assets.rs"), table).expect("write web_assets.rs");
}
