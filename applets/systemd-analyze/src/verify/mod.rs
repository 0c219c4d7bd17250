//! `systemd-analyze verify FILE|UNIT…` as 252's `analyze-verify-util.c`: each operand's
//! directory goes first on the unit search path, the operands are loaded with core's unit
//! loader (and, unless `--recursive-errors=no`, every unit they reference, in the order
//! 252's load queue takes them), the loader's warnings are printed as 252 logs them, and
//! each loaded operand is checked as 252's `verify_unit()` does: a start job can be
//! created ([`checks::start_job`]), a socket's service loads, the `Exec*=` binaries are
//! executable, the `Documentation=man:` pages exist (`--man`). Everything goes to stderr;
//! the exit code is 1 on any error, and on syntax warnings when `--recursive-errors=`
//! asks for it.

mod checks;
mod graph;
mod values;

use crate::cli::{Options, RecursiveErrors};
use graph::Graph;
use std::path::{Path, PathBuf};
use unitbox_core::root::{normalize, Root};
use unitbox_core::scope::{Scope, ScopeKind};
use unitbox_core::unit::{LoadState, UnitName, UnitStore};
use unitbox_core::users::Identity;

/// The instance a template operand is verified as (252's `prepare_filename()`).
const TEMPLATE_INSTANCE: &str = "i";

/// One operand after `prepare_filename()`: its unit name and the directory it names,
/// which goes on the search path only if the file (or, for an instance, its template)
/// exists on the host (252's `find_unit_directory()`, even with `--root`).
struct Operand {
    text: String,
    name: Option<UnitName>,
    dir: PathBuf,
    on_path: bool,
}

fn prepare(text: &str, cwd: &Path) -> Operand {
    let absolute = normalize(&cwd.join(text));
    let dir = absolute
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    let name = absolute
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| UnitName::parse(n).ok())
        .and_then(|n| {
            if n.is_template() {
                n.with_instance(TEMPLATE_INSTANCE).ok()
            } else {
                Some(n)
            }
        });
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let template = absolute
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| UnitName::parse(n).ok())
        .filter(UnitName::is_instance)
        .and_then(|n| n.template());
    let on_path = exists(&absolute) || template.is_some_and(|t| exists(&dir.join(t.as_str())));
    Operand {
        text: text.to_string(),
        name,
        dir,
        on_path,
    }
}

/// `$SYSTEMD_UNIT_PATH` as 252's verify sets it: the operands' directories, then the old
/// value (unset: the defaults; empty: nothing more).
fn unit_path(operands: &[Operand], old: Option<&str>) -> String {
    let mut dirs: Vec<String> = Vec::new();
    for op in operands.iter().filter(|op| op.on_path) {
        let dir = op.dir.to_string_lossy().into_owned();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let mut path = dirs.join(":");
    match old {
        Some("") => {}
        None => path.push(':'),
        Some(old) => {
            path.push(':');
            path.push_str(old.strip_prefix(':').unwrap_or(old));
        }
    }
    path
}

/// Where messages about a file name it: the host path (inside `--root`).
pub struct Printer {
    root: Root,
}

impl Printer {
    pub fn path(&self, logical: &Path) -> String {
        if self.root.is_host() {
            logical.display().to_string()
        } else {
            self.root.host_path(logical).display().to_string()
        }
    }
}

fn scope_for(options: &Options, unit_path: String) -> Result<Scope, String> {
    let root = options.root.as_deref().map(Root::new).unwrap_or_default();
    let env = |k: &str| {
        if k == "SYSTEMD_UNIT_PATH" {
            Some(unit_path.clone())
        } else {
            std::env::var(k).ok()
        }
    };
    if !options.user {
        return Ok(Scope::new(
            ScopeKind::System,
            root,
            Identity::root_user(),
            &env,
        ));
    }
    // 252's user manager needs $XDG_RUNTIME_DIR before it loads anything.
    if env("XDG_RUNTIME_DIR")
        .filter(|d| d.starts_with('/'))
        .is_none()
    {
        return Err(
            "Failed to lookup RuntimeDirectory path: No such device or address\n\
                    Failed to initialize manager: No such device or address"
                .into(),
        );
    }
    let identity = Identity::current(&root, &env);
    Ok(Scope::new(ScopeKind::User, root, identity, &env))
}

/// The exit code of `verify` with these operands.
pub fn verify(operands: &[String], options: &Options) -> i32 {
    if let Some(image) = &options.image {
        eprintln!(
            "unitbox: --image={image} is not supported (it needs loop devices and mounts); \
             unpack the image and use --root="
        );
        return 1;
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let prepared: Vec<Operand> = operands.iter().map(|o| prepare(o, &cwd)).collect();
    let old = std::env::var("SYSTEMD_UNIT_PATH").ok();
    let scope = match scope_for(options, unit_path(&prepared, old.as_deref())) {
        Ok(scope) => scope,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    // `--generators=yes` is accepted and changes nothing: 252 runs the generators into a
    // temporary directory first, unitbox's verify sees only the generators' last output
    // (README, differences).
    let _ = options.generators;
    let printer = Printer {
        root: scope.root.clone(),
    };
    let store = UnitStore::new(scope);
    let follow = options.recursive_errors != Some(RecursiveErrors::No);
    let mut graph = Graph::new(&store, &printer, follow);
    let mut failed = false;
    let mut loaded = Vec::new();
    for op in &prepared {
        let Some(name) = &op.name else {
            eprintln!("Failed to prepare filename {}: Invalid argument", op.text);
            failed = true;
            continue;
        };
        let unit = graph.load(name);
        if unit.load_state == LoadState::Loaded {
            loaded.push(unit);
        } else {
            eprintln!("{}", checks::load_state_error(&unit));
            failed = true;
        }
    }
    for unit in &loaded {
        failed |= checks::verify_unit(&mut graph, unit, options.man);
    }
    if failed {
        return 1;
    }
    let warned = graph.syntax_warned();
    let fails = match options.recursive_errors {
        None => false,
        Some(RecursiveErrors::Yes | RecursiveErrors::No) => !warned.is_empty(),
        // 252 looks for the operands' file names (not the instantiated names).
        Some(RecursiveErrors::One) => operands.iter().any(|o| {
            Path::new(o)
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| warned.contains(n))
        }),
    };
    i32::from(fails)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_name_units_in_their_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t@.service"), "[Service]\n").unwrap();
        assert!(prepare("t@x.service", dir.path()).on_path);
        assert!(prepare("t@.service", dir.path()).on_path);
        assert!(!prepare("u@x.service", dir.path()).on_path);
        assert!(!prepare("a.service", dir.path()).on_path);
        let cwd = Path::new("/work");
        let op = prepare("units/a.service", cwd);
        assert_eq!(op.name.map(|n| n.to_string()).as_deref(), Some("a.service"));
        assert_eq!(op.dir, Path::new("/work/units"));
        let op = prepare("/x/t@.service", cwd);
        assert_eq!(
            op.name.map(|n| n.to_string()).as_deref(),
            Some("t@i.service")
        );
        assert!(prepare("notaunit", cwd).name.is_none());
        assert!(prepare("/tmp/", cwd).name.is_none());
    }

    #[test]
    fn the_unit_path_puts_the_operands_first() {
        let cwd = Path::new("/w");
        let mut ops = [prepare("a.service", cwd), prepare("/u/b.service", cwd)];
        for op in &mut ops {
            op.on_path = true;
        }
        assert_eq!(unit_path(&ops, None), "/w:/u:");
        assert_eq!(unit_path(&ops, Some("")), "/w:/u");
        assert_eq!(unit_path(&ops, Some("/x:")), "/w:/u:/x:");
    }
}
