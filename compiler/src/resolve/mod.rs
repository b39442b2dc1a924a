//! Name resolution: follows `use` imports (files by path through the [`Loader`],
//! standard policies by name), diagnoses cycles, unknown policies and duplicates,
//! and gathers the items in force into a [`Program`].

use crate::ast::*;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::source::{FileId, Loc, Origin, SourceMap};
use crate::stdlib;
use crate::syntax::parse_module;
use std::collections::{BTreeMap, BTreeSet};

/// Reads the files that project sources import by path. This is the compiler's only
/// window on the file system, so the compiler itself stays pure.
pub trait Loader {
    /// Loads `target`, written in a `use` of the project file `from` (both as shown to
    /// users). Returns the imported file's path as shown to users, and its text; or why
    /// it cannot be read.
    fn load(&mut self, from: &str, target: &str) -> Result<(String, String), String>;
}

/// A loader for sources that import nothing by path (tests, fuzzing, single strings).
#[derive(Debug, Default)]
pub struct NoImports;

impl Loader for NoImports {
    fn load(&mut self, _: &str, target: &str) -> Result<(String, String), String> {
        Err(format!("`{target}` cannot be imported here"))
    }
}

/// The items of a compilation, resolved.
#[derive(Debug, Default)]
pub struct Program {
    /// Every parsed module, project files first.
    pub modules: Vec<(FileId, Module)>,
    /// The model manifest.
    pub model: Option<Node<Model>>,
    /// Policies in force, sorted by name.
    pub policies: Vec<Node<Policy>>,
    /// Waivers of project files.
    pub waivers: Vec<Node<Waiver>>,
    /// Tests of project files.
    pub tests: Vec<Node<TestBlock>>,
}

/// Parses the roots and everything they import; resolves names.
pub fn resolve(
    sources: &mut SourceMap,
    roots: Vec<(String, String)>,
    loader: &mut dyn Loader,
    diags: &mut Vec<Diagnostic>,
) -> Program {
    let mut program = Program::default();
    let mut queue: Vec<FileId> = roots
        .into_iter()
        .map(|(path, text)| sources.add(path, text, Origin::Project))
        .collect();
    queue.dedup();
    let mut parsed: BTreeSet<FileId> = BTreeSet::new();
    let mut edges: Vec<(FileId, FileId, Loc)> = Vec::new();

    // Project files, following imports by path.
    while let Some(id) = queue.pop() {
        if !parsed.insert(id) {
            continue;
        }
        let Some(file) = sources.get(id) else {
            continue;
        };
        let (module, mut errs) = parse_module(id, &file.text);
        let from = file.path.clone();
        diags.append(&mut errs);
        for (target, loc) in path_uses(&module) {
            match loader.load(&from, &target) {
                Ok((path, text)) => {
                    let to = sources.add(path, text, Origin::Project);
                    edges.push((id, to, loc));
                    queue.push(to);
                }
                Err(why) => diags.push(
                    Diagnostic::new(Code::E009, format!("cannot import `{target}`"), loc, why)
                        .with_help(
                        "paths are relative to the importing file and must stay inside the project",
                    ),
                ),
            }
        }
        program.modules.push((id, module));
    }
    program.modules.sort_by_key(|(id, _)| *id);
    report_cycles(sources, &edges, diags);

    // Project definitions.
    let mut policies: BTreeMap<String, Node<Policy>> = BTreeMap::new();
    let mut uses: Vec<Node<String>> = Vec::new();
    for (_, module) in &program.modules {
        for item in &module.items {
            match item {
                Item::Policy(p) => add_policy(&mut policies, p.clone(), diags),
                Item::Model(m) => {
                    if let Some(first) = &program.model {
                        diags.push(
                            Diagnostic::new(Code::E007, format!("a second model `{}`", m.node.name.node), m.node.name.loc, "second model")
                                .with_label(first.node.name.loc, "first model")
                                .with_help("a project describes one model; move the other one into its own repository or folder"),
                        );
                    } else {
                        program.model = Some(m.clone());
                    }
                    for stmt in &m.node.stmts {
                        if let ModelStmt::Use(targets) = &stmt.node {
                            uses.extend(name_uses(targets));
                        }
                    }
                }
                Item::Use(targets) => uses.extend(name_uses(&targets.node)),
                Item::Waiver(w) => program.waivers.push(w.clone()),
                Item::Test(t) => program.tests.push(t.clone()),
            }
        }
    }

    // Standard policies named by `use`.
    let std_modules: Vec<(usize, Module)> = stdlib::FILES
        .iter()
        .enumerate()
        .map(|(i, f)| (i, parse_module(FileId(u32::MAX), f.text).0))
        .collect();
    let std_names: Vec<(usize, String)> = std_modules
        .iter()
        .flat_map(|(i, m)| {
            m.items.iter().filter_map(move |item| match item {
                Item::Policy(p) => Some((*i, p.node.name.node.clone())),
                _ => None,
            })
        })
        .collect();
    let mut wanted: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for name in &uses {
        let matches_name = |p: &str| p == name.node || p.starts_with(&format!("{}.", name.node));
        if policies.keys().any(|p| matches_name(p)) {
            continue;
        }
        let found: Vec<&(usize, String)> =
            std_names.iter().filter(|(_, p)| matches_name(p)).collect();
        if found.is_empty() {
            let mut candidates: BTreeSet<String> = policies.keys().cloned().collect();
            for (_, p) in &std_names {
                candidates.insert(p.clone());
                if let Some((module, _)) = p.split_once('.') {
                    candidates.insert(module.to_string());
                }
            }
            let mut d = Diagnostic::new(
                Code::E004,
                format!("unknown policy `{}`", name.node),
                name.loc,
                "no such policy",
            );
            d = match did_you_mean(&name.node, candidates.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("`clic explain policies` lists the standard policies"),
            };
            diags.push(d);
        }
        for (i, p) in found {
            wanted.entry(*i).or_default().insert(p.clone());
        }
    }
    for (i, names) in wanted {
        let Some(file) = stdlib::FILES.get(i) else {
            continue;
        };
        let id = sources.add(file.path, file.text, Origin::Stdlib);
        let (module, mut errs) = parse_module(id, file.text);
        diags.append(&mut errs);
        for item in &module.items {
            if let Item::Policy(p) = item {
                if names.contains(&p.node.name.node) {
                    add_policy(&mut policies, p.clone(), diags);
                }
            }
        }
        program.modules.push((id, module));
    }
    program.policies = policies.into_values().collect();
    program
}

fn add_policy(
    policies: &mut BTreeMap<String, Node<Policy>>,
    p: Node<Policy>,
    diags: &mut Vec<Diagnostic>,
) {
    let name = p.node.name.node.clone();
    if let Some(first) = policies.get(&name) {
        diags.push(
            Diagnostic::new(Code::E007, format!("policy `{name}` is defined twice"), p.node.name.loc, "defined again here")
                .with_label(first.node.name.loc, "first defined here")
                .with_help("rename one of them; policy names are unique across the project and the standard policies it uses"),
        );
        return;
    }
    policies.insert(name, p);
}

fn path_uses(module: &Module) -> Vec<(String, Loc)> {
    let mut out = Vec::new();
    let mut push = |targets: &[Node<UseTarget>]| {
        for t in targets {
            if let UseTarget::Path(p) = &t.node {
                out.push((p.clone(), t.loc));
            }
        }
    };
    for item in &module.items {
        match item {
            Item::Use(targets) => push(&targets.node),
            Item::Model(m) => {
                for stmt in &m.node.stmts {
                    if let ModelStmt::Use(targets) = &stmt.node {
                        push(targets);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn name_uses(targets: &[Node<UseTarget>]) -> Vec<Node<String>> {
    targets
        .iter()
        .filter_map(|t| match &t.node {
            UseTarget::Name(n) => Some(Node::new(n.clone(), t.loc)),
            UseTarget::Path(_) => None,
        })
        .collect()
}

/// Reports each import cycle once, at the import that closes it.
fn report_cycles(
    sources: &SourceMap,
    edges: &[(FileId, FileId, Loc)],
    diags: &mut Vec<Diagnostic>,
) {
    let mut nodes: BTreeSet<FileId> = BTreeSet::new();
    for (a, b, _) in edges {
        nodes.insert(*a);
        nodes.insert(*b);
    }
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state: BTreeMap<FileId, u8> = BTreeMap::new();
    for start in nodes {
        if state.get(&start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(FileId, usize)> = vec![(start, 0)];
        let mut path: Vec<FileId> = vec![start];
        state.insert(start, 1);
        while let Some((node, next)) = stack.last_mut() {
            let outgoing: Vec<&(FileId, FileId, Loc)> =
                edges.iter().filter(|(a, _, _)| a == node).collect();
            if let Some((_, to, loc)) = outgoing.get(*next).copied() {
                *next += 1;
                match state.get(to).copied().unwrap_or(0) {
                    0 => {
                        state.insert(*to, 1);
                        stack.push((*to, 0));
                        path.push(*to);
                    }
                    1 => {
                        let from = path.iter().position(|f| f == to).unwrap_or(0);
                        let mut names: Vec<String> = path[from..]
                            .iter()
                            .filter_map(|f| sources.get(*f).map(|s| format!("`{}`", s.path)))
                            .collect();
                        if let Some(first) = names.first().cloned() {
                            names.push(first);
                        }
                        diags.push(
                            Diagnostic::new(Code::E008, "import cycle", *loc, "this import closes the cycle")
                                .with_help(format!("{} import each other; move what they share into a file both import", names.join(" -> "))),
                        );
                    }
                    _ => {}
                }
            } else {
                state.insert(*node, 2);
                stack.pop();
                path.pop();
            }
        }
    }
}
