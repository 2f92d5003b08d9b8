//! The structure issue 7 asks for, checked on every test run so it cannot quietly erode:
//!
//! - (a) no import cycle between the top-level modules of `src/` (`crate::X` uses, per file);
//! - (b) no function in `src/` over [`MAX_FN_LINES`] lines (data tables are `const`/`static`
//!   initialisers, not functions, so they never count);
//! - (c) no test helper defined twice across `tests/` (same name and signature in two files:
//!   shared helpers belong in `tests/support`);
//! - (d) no `tracing` macro in `src/` outside `src/internal_events/` (unit tests aside): every
//!   log line is a named event there, so one place lists all phiscan writes to its logs.
//!
//! The source is read as text with a small lexer that blanks comments, strings (raw ones too) and
//! character literals, so a brace or a `crate::` inside them never counts. Why text and not a
//! `cargo modules`-style tool: no extra install, and the checks run wherever `cargo test` does.
//!
//! The refactor that removes today's violations lands in parallel, so (a) and (b) accept exactly
//! the violations listed in [`KNOWN_CYCLES`] and [`KNOWN_LONG_FNS`]; anything new fails. Empty the
//! lists as the refactor lands (a listed entry that no longer occurs is printed as stale).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// The longest a function in `src/` may be, in lines from its `fn` to its closing brace.
const MAX_FN_LINES: usize = 80;

/// Sets of top-level modules allowed to import each other (strongly connected components of the
/// import graph): none. A cycle is accepted only inside one of these sets.
const KNOWN_CYCLES: &[&[&str]] = &[];

/// `path::function` (path under `src/`) of the functions allowed over [`MAX_FN_LINES`].
const KNOWN_LONG_FNS: &[&str] = &[
    // tables: one metric family per statement, nothing to name
    "metrics.rs::new",
    "metrics/kinesis.rs::kinesis_metrics",
];

// ---------------------------------------------------------------- reading Rust as text

/// `src` with comments, string and character literals blanked to spaces (newlines kept, so line
/// numbers and indentation stay), leaving only code.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        let end = literal_end(b, i);
        if end > i {
            for c in &mut out[i..end] {
                if *c != b'\n' {
                    *c = b' ';
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where the comment or literal starting at `i` ends (exclusive), or `i` when none starts there.
fn literal_end(b: &[u8], i: usize) -> usize {
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    let ident_before = i > 0 && (at(i - 1).is_ascii_alphanumeric() || at(i - 1) == b'_');
    match (at(i), at(i + 1)) {
        (b'/', b'/') => b[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| i + p),
        (b'/', b'*') => block_comment_end(b, i),
        (b'"', _) => quoted_end(b, i + 1, b'"'),
        (b'b', b'"') if !ident_before => quoted_end(b, i + 2, b'"'),
        (b'r', b'"' | b'#') if !ident_before => raw_string_end(b, i + 1).unwrap_or(i),
        (b'b', b'r') if !ident_before => raw_string_end(b, i + 2).unwrap_or(i),
        (b'\'', _) => char_literal_end(b, i),
        _ => i,
    }
}

fn block_comment_end(b: &[u8], start: usize) -> usize {
    let (mut depth, mut k) = (0usize, start);
    while k + 1 < b.len() {
        match (b[k], b[k + 1]) {
            (b'/', b'*') => (depth, k) = (depth + 1, k + 2),
            (b'*', b'/') => {
                (depth, k) = (depth - 1, k + 2);
                if depth == 0 {
                    return k;
                }
            }
            _ => k += 1,
        }
    }
    b.len()
}

/// The end of a literal whose body starts at `k` and closes with `close` (backslash escapes).
fn quoted_end(b: &[u8], mut k: usize, close: u8) -> usize {
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            c if c == close => return k + 1,
            _ => k += 1,
        }
    }
    b.len()
}

/// `r"…"`, `r#"…"#` (… any number of `#`): `k` is just after the `r`.
fn raw_string_end(b: &[u8], k: usize) -> Option<usize> {
    let hashes = b[k..].iter().take_while(|&&c| c == b'#').count();
    if b.get(k + hashes) != Some(&b'"') {
        return None;
    }
    let mut close = vec![b'"'];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let body = k + hashes + 1;
    let found = b[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice());
    Some(found.map_or(b.len(), |p| body + p + close.len()))
}

/// `'x'`, `'\n'`, `'\u{7f}'`; a lifetime (`'a`) is not a literal.
fn char_literal_end(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        return quoted_end(b, i + 1, b'\'');
    }
    // one character (up to 4 UTF-8 bytes) and the closing quote
    let len = match b.get(i + 1) {
        Some(&c) if c >= 0xf0 => 4,
        Some(&c) if c >= 0xe0 => 3,
        Some(&c) if c >= 0xc0 => 2,
        Some(_) => 1,
        None => return i,
    };
    if b.get(i + 1 + len) == Some(&b'\'') {
        i + 2 + len
    } else {
        i
    }
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// (relative path, code-only text) of every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<(String, String)> {
    rust_files(dir)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, code_only(&std::fs::read_to_string(&p).unwrap()))
        })
        .collect()
}

// ---------------------------------------------------------------- (a) import cycles

/// The top-level module a file under `src/` belongs to (`None` for the crate roots).
fn top_module(rel: &str) -> Option<&str> {
    let first = rel.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then_some(name)
}

/// The top-level modules a file's code names through `crate::` (`crate::x::…`, `crate::x`, and
/// each entry of `crate::{x, y::z}`).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let re = Regex::new(r"crate\s*::\s*(\{|[A-Za-z_]\w*)").unwrap();
    let mut out = BTreeSet::new();
    for c in re.captures_iter(code) {
        if &c[1] != "{" {
            out.insert(c[1].to_string());
            continue;
        }
        // the brace group: names at its top nesting level
        let rest = &code[c.get(1).unwrap().end()..];
        let (mut depth, mut start) = (0usize, true);
        for (k, ch) in rest.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && depth == 0 && (c.is_alphabetic() || c == '_') => {
                    let name: String = rest[k..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.insert(name);
                    start = false;
                }
                _ => {}
            }
        }
    }
    out
}

/// module → the other top-level modules it uses, from (path under `src/`, code) pairs.
fn import_graph(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<&str> = files.iter().filter_map(|(r, _)| top_module(r)).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in files {
        let Some(top) = top_module(rel) else { continue };
        let deps = g.entry(top.to_string()).or_default();
        for r in crate_refs(&without_test_modules(code)) {
            if r != top && modules.contains(r.as_str()) {
                deps.insert(r);
            }
        }
    }
    g
}

/// `code` (already free of comments and literals) with every `#[cfg(test)] mod … { … }` blanked:
/// the layering is the library's; a module's unit tests may reach wherever they need to set up.
fn without_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|i| from + i) {
        let after = at + "#[cfg(test)]".len();
        let rest = out[after..].trim_start();
        if !(rest.starts_with("mod ") || rest.starts_with("pub mod ")) {
            from = after;
            continue;
        }
        let Some(open) = out[after..].find('{').map(|i| after + i) else {
            break;
        };
        let mut depth = 0usize;
        let mut end = out.len();
        for (i, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let blank: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blank);
        from = end;
    }
    out
}

/// The strongly connected sets of more than one module (Tarjan's algorithm, recursive: the graph
/// has a few dozen nodes).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Tarjan<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.g.get(v).into_iter().flatten() {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w.as_str()]));
                } else if self.stack.contains(&w.as_str()) {
                    self.low.insert(v, self.low[v].min(self.index[w.as_str()]));
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|x| *x == v).unwrap();
                let scc: BTreeSet<String> = self.stack.drain(at..).map(str::to_string).collect();
                if scc.len() > 1 {
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

/// The cycles not inside one of `known`, each with the edges that close it, for the failure.
fn new_cycles(g: &BTreeMap<String, BTreeSet<String>>, known: &[&[&str]]) -> Vec<String> {
    cycles(g)
        .into_iter()
        .filter(|scc| {
            !known
                .iter()
                .any(|k| scc.iter().all(|m| k.contains(&m.as_str())))
        })
        .map(|scc| {
            let edges: Vec<String> = scc
                .iter()
                .flat_map(|a| {
                    g[a].iter()
                        .filter(|b| scc.contains(*b))
                        .map(move |b| format!("{a} -> {b}"))
                })
                .collect();
            format!(
                "{{{}}}: {}",
                scc.into_iter().collect::<Vec<_>>().join(", "),
                edges.join(", ")
            )
        })
        .collect()
}

// ---------------------------------------------------------------- (b) long functions

/// (name, first line (1-based), length in lines) of every function with a body in `code`.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let re = Regex::new(
        r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+\S+\s+)?fn\s+(\w+)",
    )
    .unwrap();
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(c) = re.captures(line) else { continue };
        let (mut depth, mut started) = (0i64, false);
        for (j, l) in lines.iter().enumerate().skip(i) {
            for ch in l.chars() {
                match ch {
                    '{' => (depth, started) = (depth + 1, true),
                    '}' => depth -= 1,
                    ';' if !started => break,
                    _ => {}
                }
            }
            if !started && l.trim_end().ends_with(';') {
                break; // a declaration without a body (trait method, extern)
            }
            if started && depth <= 0 {
                out.push((c[7].to_string(), i + 1, j - i + 1));
                break;
            }
        }
    }
    out
}

/// `path::name (N lines)` of the functions over `max` lines not in `known`.
fn new_long_fns(files: &[(String, String)], max: usize, known: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, code) in files {
        for (name, line, len) in functions(code) {
            let id = format!("{rel}::{name}");
            if len > max && !known.contains(&id.as_str()) {
                out.push(format!("{id} (line {line}, {len} lines)"));
            }
        }
    }
    out
}

// ---------------------------------------------------------------- (c) duplicate test helpers

/// (name, normalised signature) of each free function at the top level of a test file that is
/// not itself a test (`#[test]`, `#[tokio::test]`).
fn helpers(code: &str) -> Vec<(String, String)> {
    let re = Regex::new(r"^(pub(\([^)]*\))?\s+)?(async\s+)?fn\s+(\w+)").unwrap();
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(c) = re.captures(line) else { continue };
        let attrs = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("#[") || l.trim().is_empty());
        if attrs.into_iter().any(|l| l.contains("test")) {
            continue;
        }
        let sig: String = lines[i..].join("\n");
        let sig = &sig[c.get(4).unwrap().start()..];
        let sig = &sig[..sig.find(['{', ';']).unwrap_or(sig.len())];
        let sig = sig.split_whitespace().collect::<Vec<_>>().join(" ");
        let sig = sig
            .replace("( ", "(")
            .replace(", )", ")")
            .replace(",)", ")");
        out.push((c[4].to_string(), sig));
    }
    out
}

/// `signature: file, file` of each helper defined in more than one file.
fn duplicate_helpers(files: &[(String, String)]) -> Vec<String> {
    let mut seen: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (rel, code) in files {
        for (_, sig) in helpers(code) {
            seen.entry(sig).or_default().insert(rel);
        }
    }
    seen.into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(sig, files)| {
            format!(
                "fn {sig}: {}",
                files.into_iter().collect::<Vec<_>>().join(", ")
            )
        })
        .collect()
}

// ---------------------------------------------------------------- (d) log lines

/// `file:line: code` of every `tracing` macro call (or `use tracing…`, which would allow bare
/// `info!`) outside `internal_events/` and outside unit-test modules.
fn log_calls_outside_internal_events(files: &[(String, String)]) -> Vec<String> {
    let re = Regex::new(r"\btracing\s*::\s*\w+\s*!|\buse\s+tracing\b").unwrap();
    let mut out = Vec::new();
    for (rel, code) in files {
        if rel.starts_with("internal_events/") {
            continue;
        }
        let code = without_test_modules(code);
        for m in re.find_iter(&code) {
            let line = code[..m.start()].matches('\n').count() + 1;
            out.push(format!("{rel}:{line}: {}", m.as_str()));
        }
    }
    out
}

// ---------------------------------------------------------------- the checks

#[test]
fn no_new_import_cycle_between_top_level_modules() {
    let g = import_graph(&sources(&support::repo_root().join("src")));
    for (m, deps) in &g {
        println!(
            "{m} -> {}",
            deps.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let now = cycles(&g);
    for k in KNOWN_CYCLES {
        if !now.iter().any(|scc| k.iter().any(|m| scc.contains(*m))) {
            println!("stale KNOWN_CYCLES entry (no cycle left among {k:?}): remove it");
        }
    }
    let new = new_cycles(&g, KNOWN_CYCLES);
    assert!(
        new.is_empty(),
        "import cycles between top-level modules of src/:\n{}",
        new.join("\n")
    );
}

#[test]
fn no_new_function_over_80_lines_in_src() {
    let files = sources(&support::repo_root().join("src"));
    let all: BTreeSet<String> = files
        .iter()
        .flat_map(|(rel, code)| {
            functions(code)
                .into_iter()
                .filter(|(_, _, len)| *len > MAX_FN_LINES)
                .map(move |(name, _, _)| format!("{rel}::{name}"))
        })
        .collect();
    for k in KNOWN_LONG_FNS.iter().filter(|k| !all.contains(**k)) {
        println!("stale KNOWN_LONG_FNS entry (now at most {MAX_FN_LINES} lines, or gone): {k}");
    }
    let new = new_long_fns(&files, MAX_FN_LINES, KNOWN_LONG_FNS);
    assert!(
        new.is_empty(),
        "functions over {MAX_FN_LINES} lines in src/ (split them into named steps):\n{}",
        new.join("\n")
    );
}

#[test]
fn no_test_helper_is_defined_twice_across_tests() {
    let dups = duplicate_helpers(&sources(&support::repo_root().join("tests")));
    assert!(
        dups.is_empty(),
        "test helpers defined in more than one file (move them to tests/support):\n{}",
        dups.join("\n")
    );
}

#[test]
fn every_log_line_is_a_named_event_in_internal_events() {
    let found = log_calls_outside_internal_events(&sources(&support::repo_root().join("src")));
    assert!(
        found.is_empty(),
        "tracing calls outside src/internal_events/ (define an event there and emit it):\n{}",
        found.join("\n")
    );
}

// ---------------------------------------------------------------- the checker, on small inputs

fn graph(edges: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in edges {
        g.entry(a.to_string()).or_default().insert(b.to_string());
        g.entry(b.to_string()).or_default();
    }
    g
}

#[test]
fn the_import_graph_reads_every_form_of_crate_path_and_ignores_comments_and_strings() {
    let files = vec![
        (
            "a/mod.rs".to_string(),
            code_only("use crate::{b::X, c};\nfn f() { crate::d::g(); }"),
        ),
        (
            "a/x.rs".to_string(),
            code_only("// crate::e\nconst S: &str = \"crate::e\";\nuse crate::a;"),
        ),
        (
            "b.rs".to_string(),
            code_only("use crate::{\n    a::{Y, Z},\n    lib_item,\n};"),
        ),
        ("c.rs".to_string(), String::new()),
        ("d.rs".to_string(), String::new()),
        ("e.rs".to_string(), String::new()),
        ("lib.rs".to_string(), code_only("use crate::e;")),
    ];
    let g = import_graph(&files);
    let deps = |m: &str| g[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(deps("a"), ["b", "c", "d"]);
    assert_eq!(deps("b"), ["a"]);
    assert!(!g.contains_key("lib"));
}

#[test]
fn unit_test_modules_do_not_count_in_the_import_graph() {
    let code = "use crate::b::X;\n#[cfg(test)]\nmod tests {\n    fn f() { crate::c::y(); }\n}\nfn g() { crate::d::z(); }\n";
    let g = import_graph(&[
        ("a.rs".to_string(), code.to_string()),
        ("b.rs".into(), String::new()),
        ("c.rs".into(), String::new()),
        ("d.rs".into(), String::new()),
    ]);
    let deps: Vec<&str> = g["a"].iter().map(String::as_str).collect();
    assert_eq!(deps, ["b", "d"], "crate::c is only used by the unit tests");
}

#[test]
fn a_new_cycle_fails_and_a_known_one_passes() {
    let g = graph(&[("a", "b"), ("b", "a"), ("b", "c")]);
    assert_eq!(new_cycles(&g, &[]).len(), 1, "a cycle with nothing known");
    assert_eq!(new_cycles(&g, &[&["a", "b"]]), Vec::<String>::new());
    // a third module joining the known cycle is a new violation
    let g = graph(&[("a", "b"), ("b", "a"), ("b", "c"), ("c", "a")]);
    let new = new_cycles(&g, &[&["a", "b"]]);
    assert_eq!(new.len(), 1);
    assert!(new[0].starts_with("{a, b, c}"), "{new:?}");
    // a cycle elsewhere is new too
    let g = graph(&[("a", "b"), ("b", "a"), ("x", "y"), ("y", "x")]);
    assert_eq!(new_cycles(&g, &[&["a", "b"]]).len(), 1);
    assert!(new_cycles(&graph(&[("a", "b"), ("b", "c")]), &[]).is_empty());
}

#[test]
fn a_new_long_function_fails_and_braces_in_literals_do_not_count() {
    let body = |n: usize| "    let _x = 1;\n".repeat(n);
    let src = format!(
        "pub async fn short() {{\n{}}}\n\nfn long(a: u8) -> u8 {{\n{}    let s = \"}}}}\"; let c = '}}';\n    /* }} */ let r = r#\"}}\"#;\n    a\n}}\n\ntrait T {{ fn decl(&self); }}\nconst TABLE: &[u8] = &[\n{}];\n",
        body(78),
        body(80),
        "    1,\n".repeat(200),
    );
    let code = code_only(&src);
    let fns = functions(&code);
    let lens: Vec<(&str, usize)> = fns.iter().map(|(n, _, l)| (n.as_str(), *l)).collect();
    assert_eq!(lens, [("short", 80), ("long", 85)]);
    let files = vec![("m.rs".to_string(), code)];
    assert_eq!(
        new_long_fns(&files, 80, &[]),
        ["m.rs::long (line 82, 85 lines)"]
    );
    assert!(new_long_fns(&files, 80, &["m.rs::long"]).is_empty());
}

#[test]
fn a_helper_defined_in_two_test_files_fails() {
    let a = code_only(
        "pub fn free_port() -> u16 {\n    0\n}\n#[test]\nfn works() {}\nimpl X {\n    fn new() -> X { X }\n}\n",
    );
    let b = code_only(
        "fn free_port(\n) -> u16 { 1 }\n#[tokio::test]\nasync fn works() {}\nfn free_port2() -> u16 { 2 }\nfn new() -> X { X }\n",
    );
    let c = code_only("fn free_port(base: u16) -> u16 { base }\n");
    let files = vec![
        ("a.rs".to_string(), a),
        ("b.rs".to_string(), b),
        ("c.rs".to_string(), c),
    ];
    assert_eq!(
        duplicate_helpers(&files),
        ["fn free_port() -> u16: a.rs, b.rs"]
    );
}

#[test]
fn a_log_call_outside_internal_events_fails_and_tests_strings_and_events_do_not() {
    let file = |rel: &str, src: &str| (rel.to_string(), code_only(src));
    let files = [
        file(
            "sink/mod.rs",
            "fn a() {\n    tracing::warn!(x = 1, \"no\");\n}\n\
             fn b() { let s = \"tracing::info!(quoted)\"; }\n\
             // tracing::debug!(commented)\n\
             #[cfg(test)]\nmod tests {\n    fn t() { tracing::info!(\"in a test\"); }\n}\n",
        ),
        file(
            "source/x.rs",
            "use tracing::info;\nfn c() { info!(\"bare\"); }\n",
        ),
        file(
            "cli/service.rs",
            "fn d() { tracing_subscriber::fmt().init(); }\n",
        ),
        file(
            "internal_events/sink.rs",
            "fn emit() { tracing::error!(\"ok\"); }\n",
        ),
    ];
    assert_eq!(
        log_calls_outside_internal_events(&files),
        [
            "sink/mod.rs:2: tracing::warn!",
            "source/x.rs:1: use tracing"
        ]
    );
}
