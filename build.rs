//! Embeds every file under `detectors/` into the binary, so `phiscan scan` needs no install step
//! and the shipped detectors are exactly the ones `rules check` tested.

use std::{env, fs, path::Path};

fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read detectors/")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, root, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "txt")
        ) {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(format!(
                "    ({rel:?}, include_str!({:?})),\n",
                path.canonicalize().unwrap().to_string_lossy()
            ));
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("detectors");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut rows = Vec::new();
    collect(&root, &root, &mut rows);
    for row in &rows {
        // rerun when any single file changes, not only when the directory listing does
        if let Some(p) = row.split("include_str!(").nth(1) {
            println!(
                "cargo:rerun-if-changed={}",
                p.trim_end_matches(")),\n").trim_matches('"')
            );
        }
    }
    let code = format!(
        "pub static EMBEDDED: &[(&str, &str)] = &[\n{}];\n",
        rows.concat()
    );
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("detectors.rs"),
        code,
    )
    .unwrap();
}
