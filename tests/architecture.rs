//! The shape of the source tree, checked: data flows one way, so no file imports a file that (through any
//! chain) imports it back. Every `crate::`, `super::` and `self::` path in code counts as an edge between
//! two files: in `use` lines, inside `{}` groups, and inline in types and calls; a folder's `mod.rs` (or
//! `lib.rs`) naming its children's items by a bare `child::` path counts too, and so do doc comments'
//! intra-doc links (rustdoc resolves them); plain comments and strings do not. Also: at most 12 `.rs` files directly in `src/`, and a thin `main.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` → `["a", "b"]`; `mod.rs`, `lib.rs` and `main.rs` name their folder's module.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The code without comments and string literals (so `// see crate::x` and `"crate::x"` do not count).
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("///") || rest.starts_with("//!") {
            // Doc comments stay: their intra-doc links (`[`crate::x`]`) are references rustdoc resolves.
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            out.push_str(&text[i..end]);
            i = end;
        } else if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            i = end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|c| *c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            let end = rest[body..].find(&close).map_or(text.len(), |n| i + body + n + close.len());
            out.push_str("\"\"");
            i = end;
        } else if rest.starts_with('"') {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if rest.starts_with("'") && rest.len() > 2 && (rest.as_bytes()[1] == b'\\' || rest.chars().nth(2) == Some('\'')) {
            // A char literal ('"', '\'', '{'): skipped so it cannot open a string or a group.
            // `'\''`, `'\n'`, `'\u{1F}'`: the closing quote comes after the escaped character.
            let from = if rest.as_bytes()[1] == b'\\' { 3 } else { 1 };
            let end = rest[from..].find('\'').map_or(text.len(), |n| i + from + n + 1);
            out.push_str("' '");
            i = end;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Byte ranges of inline `mod name { ... }` blocks (where `super::` means the file's own module).
fn inline_modules(code: &str) -> Vec<(usize, usize)> {
    let re = regex::Regex::new(r"\bmod\s+\w+\s*\{").unwrap();
    re.find_iter(code).map(|m| (m.start(), matching_brace(code, m.end()))).collect()
}

/// The index just past the `}` closing the group opened before `from`.
fn matching_brace(code: &str, from: usize) -> usize {
    let mut depth = 1;
    for (i, b) in code.bytes().enumerate().skip(from) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// `a::{b, c::{d, e}}` body → `[[b], [c, d], [c, e]]`.
fn expand_group(body: &str) -> Vec<Vec<String>> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let item = item.split(" as ").next().unwrap().trim();
        if let Some(open) = item.find('{') {
            let prefix: Vec<String> = item[..open].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            let inner = &item[open + 1..item.rfind('}').unwrap_or(item.len())];
            for mut rest in expand_group(inner) {
                let mut path = prefix.clone();
                path.append(&mut rest);
                out.push(path);
            }
        } else {
            out.push(item.split("::").filter(|s| !s.is_empty()).map(String::from).collect());
        }
    }
    out
}

/// Every file → the files it names.
fn import_graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files.iter().map(|f| (module_of(&src, f), f.clone())).collect();
    // The file of the longest prefix of `path` that is a module.
    let resolve = |path: &[String]| (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned());
    let path_re = regex::Regex::new(r"\b(crate|super|self)((?:::[A-Za-z_]\w*)*)::(\{|[A-Za-z_]\w*)").unwrap();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        let inline = inline_modules(&code);
        let mut targets = BTreeSet::new();
        let mut add = |path: Vec<String>| {
            if let Some(target) = resolve(&path) {
                if &target != file {
                    targets.insert(target);
                }
            }
        };
        for m in path_re.captures_iter(&code) {
            let whole = m.get(0).unwrap();
            let in_inline_module = inline.iter().any(|(a, b)| (*a..*b).contains(&whole.start()));
            let mut base: Vec<String> = match &m[1] {
                "crate" => vec![],
                "super" if in_inline_module => module.clone(),
                "super" => module[..module.len().saturating_sub(1)].to_vec(),
                _ => module.clone(),
            };
            let mut middle: Vec<String> = m[2].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            // `super::super::x`: each further `super` climbs one more level.
            while middle.first().is_some_and(|s| s == "super") {
                base.pop();
                middle.remove(0);
            }
            base.extend(middle);
            if &m[3] == "{" {
                let end = matching_brace(&code, whole.end());
                for item in expand_group(&code[whole.end()..end - 1]) {
                    let mut path = base.clone();
                    path.extend(item.into_iter().filter(|s| s != "self"));
                    add(path);
                }
            } else {
                base.push(m[3].to_string());
                add(base);
            }
        }
        // A parent file naming its children's items by bare paths (`child::item`).
        for (child, child_file) in modules.iter().filter(|(m, _)| m.len() == module.len() + 1 && m[..module.len()] == module[..]) {
            let name = child.last().unwrap();
            let bare = regex::Regex::new(&format!(r"(?:^|[^\w:]){name}::[{{A-Za-z_]")).unwrap();
            if bare.is_match(&code) && child_file != file {
                targets.insert(child_file.clone());
            }
        }
        graph.insert(file.clone(), targets);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'g> {
        graph: &'g BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'g PathBuf, usize>,
        low: BTreeMap<&'g PathBuf, usize>,
        stack: Vec<&'g PathBuf>,
        on_stack: BTreeSet<&'g PathBuf>,
        next: usize,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: vec![], on_stack: BTreeSet::new(), next: 0, found: vec![] };
    for v in graph.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let graph = import_graph();
    let src = src_dir();
    let found = circles(&graph);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            let members: BTreeSet<&PathBuf> = c.iter().collect();
            c.iter()
                .map(|f| {
                    let to: Vec<String> =
                        graph[f].iter().filter(|t| members.contains(t)).map(|t| t.strip_prefix(&src).unwrap().display().to_string()).collect();
                    format!("{} -> {}", f.strip_prefix(&src).unwrap().display(), to.join(", "))
                })
                .collect::<Vec<_>>()
                .join("\n  ")
        })
        .collect();
    assert!(found.is_empty(), "import circles:\n  {}", shown.join("\n\n  "));
}

#[test]
fn the_checker_finds_a_circle_through_a_group_an_inline_path_and_a_parent_file() {
    // The check itself must be able to fail: a small tree with each kind of edge.
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = {
        let code_a = code_only("use crate::b::{x, y::{z}};\n// crate::c::ignored\n/// [`crate::d`] counts\nfn f() { let s = \"crate::c::nope\"; }");
        let code_b = code_only("fn g() -> super::a::T { todo!() }");
        assert!(!code_a.contains("crate::c"), "comments and strings are not code: {code_a}");
        assert!(code_a.contains("[`crate::d`]"), "doc links count: {code_a}");
        assert!(code_b.contains("super::a::T"));
        let groups = expand_group("x, y::{z, w as v}, self");
        assert_eq!(groups, vec![vec!["x".to_string()], vec!["y".into(), "z".into()], vec!["y".into(), "w".into()], vec!["self".into()]]);
        let a = PathBuf::from("a.rs");
        let b = PathBuf::from("b.rs");
        BTreeMap::from([(a.clone(), BTreeSet::from([b.clone()])), (b, BTreeSet::from([a]))])
    };
    assert_eq!(circles(&graph).len(), 1);
}

#[test]
fn at_most_twelve_files_directly_in_src_and_a_thin_main() {
    let src = src_dir();
    let top: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(top.len() <= 12, "{} .rs files directly in src/: {top:?}", top.len());
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap();
    assert!(main.lines().count() < 60, "src/main.rs has {} lines", main.lines().count());
}
