//! 252's `verify_unit()` for one loaded operand: a start job can be created (the
//! transaction's load-state checks of what it requires), a socket's service loads, the
//! `Exec*=` binaries are executable, the `Documentation=man:` pages are shown by `man`.
//! Each problem is one line `UNIT: message` on stderr.

use super::graph::{self, Graph};
use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
use unitbox_core::exec::command::{parse_exec_line, ExecCommand, DEFAULT_SEARCH_PATH};
use unitbox_core::root::Root;
use unitbox_core::service::config::ServiceConfig;
use unitbox_core::unit::specifier::{self, SpecifierContext};
use unitbox_core::unit::{LoadState, Unit};

/// A socket's commands in 252's `SocketExecCommand` order.
const SOCKET_EXEC: &[&str] = &[
    "ExecStartPre",
    "ExecStartPost",
    "ExecStopPre",
    "ExecStopPost",
];

/// `bus_unit_validate_load_state()`: why a unit that is not loaded cannot get a job.
pub fn load_state_error(unit: &Unit) -> String {
    let id = &unit.id;
    match unit.load_state {
        LoadState::Loaded => String::new(),
        LoadState::NotFound => format!("Unit {id} not found."),
        LoadState::Masked => format!("Unit {id} is masked."),
        LoadState::BadSetting => format!("Unit {id} has a bad unit file setting."),
        LoadState::Error => format!(
            "Unit {id} failed to load properly, please adjust/correct and reload service \
             manager: {}",
            unit.load_error.as_deref().unwrap_or("Invalid argument")
        ),
    }
}

/// Runs every check on a loaded operand; true when one failed.
pub fn verify_unit(graph: &mut Graph, unit: &Unit, man: bool) -> bool {
    let mut failed = false;
    if let Err(e) = start(graph, unit, &mut HashSet::new()) {
        eprintln!(
            "{}: Failed to create {}/start: {}",
            unit.id, unit.id, e.text
        );
        failed = true;
    }
    failed |= socket_service(graph, unit);
    failed |= executables(graph, unit);
    failed |= documentation(graph, unit, man);
    failed
}

/// Why a job could not be added; `quiet` failures (not found, masked) of wanted units are
/// only logged at debug level by 252.
struct JobError {
    text: String,
    quiet: bool,
}

/// 252's `transaction_add_job_and_dependencies()` for a start job, as far as it can fail
/// before anything runs: the unit and everything it requires must be loaded.
fn start(graph: &mut Graph, unit: &Unit, seen: &mut HashSet<String>) -> Result<(), JobError> {
    if !startable(unit) {
        return Err(JobError {
            text: load_state_error(unit),
            quiet: matches!(unit.load_state, LoadState::NotFound | LoadState::Masked),
        });
    }
    // With `--recursive-errors=no` 252 adds no dependencies at all.
    if !seen.insert(unit.id.to_string()) || !graph.follows() {
        return Ok(());
    }
    let scope = graph.scope().clone();
    let mut required = Vec::new();
    let mut requisite = Vec::new();
    let mut wanted = Vec::new();
    for e in &unit.settings.entries {
        if e.section != "Unit" {
            continue;
        }
        let list = match e.key.as_str() {
            "Requires" | "BindsTo" | "BindTo" | "RequiresOverridable" => &mut required,
            "Requisite" | "RequisiteOverridable" => &mut requisite,
            "Wants" | "Upholds" => &mut wanted,
            _ => continue,
        };
        list.extend(graph::unit_words(unit, &scope, &e.value));
    }
    for (kind, name) in &unit.dir_dependencies {
        match kind.key() {
            "Requires" => required.push(name.clone()),
            _ => wanted.push(name.clone()),
        }
    }
    for (kind, name) in graph::default_dependency_list(unit, &scope) {
        if kind == "Requires" {
            required.push(name);
        }
    }
    for name in required {
        if let Some(dep) = graph.load_named(&name) {
            start(graph, &dep, seen)?;
        }
    }
    for name in requisite {
        if let Some(dep) = graph.load_named(&name) {
            if !startable(&dep) {
                return Err(JobError {
                    text: load_state_error(&dep),
                    quiet: false,
                });
            }
        }
    }
    for name in wanted {
        let Some(dep) = graph.load_named(&name) else {
            continue;
        };
        if let Err(e) = start(graph, &dep, seen) {
            if !e.quiet {
                eprintln!(
                    "{}: Cannot add dependency job, ignoring: {}",
                    dep.id, e.text
                );
            }
        }
    }
    Ok(())
}

/// Whether 252 has the unit loaded: devices and slices need no file (their load is
/// `unit_load_fragment_and_dropin(u, false)`).
fn startable(unit: &Unit) -> bool {
    unit.is_loaded()
        || (unit.load_state == LoadState::NotFound
            && matches!(unit.id.unit_type(), "device" | "slice"))
}

/// 252's `verify_socket()`: the service a socket starts must load.
fn socket_service(graph: &mut Graph, unit: &Unit) -> bool {
    if unit.id.unit_type() != "socket" {
        return false;
    }
    let scope = graph.scope().clone();
    let name = match unit.settings.get("Socket", "Service") {
        Some(service) => graph::unit_words(unit, &scope, service).concat(),
        None if unit.settings.get_bool("Socket", "Accept") == Some(true) => {
            format!("{}@internal.service", unit.id.prefix())
        }
        None => graph::same_name(unit, "service"),
    };
    let service = graph.load_named(&name);
    if service.as_ref().is_some_and(|s| s.is_loaded()) {
        return false;
    }
    eprintln!(
        "{}: service {name} not loaded, socket cannot be started.",
        unit.id
    );
    true
}

/// 252's `verify_executables()`: every command without `-` must name an executable file.
fn executables(graph: &Graph, unit: &Unit) -> bool {
    let scope = graph.scope();
    let commands: Vec<ExecCommand> = match unit.id.unit_type() {
        "service" => {
            let (c, _) = ServiceConfig::from_unit(unit, scope);
            [
                c.exec_condition,
                c.exec_start_pre,
                c.exec_start,
                c.exec_start_post,
                c.exec_reload,
                c.exec_stop,
                c.exec_stop_post,
            ]
            .concat()
        }
        "socket" => {
            let ctx = SpecifierContext {
                unit: &unit.id,
                fragment: unit.fragment_path.as_deref(),
                scope,
            };
            let expand = |s: &str| specifier::expand(s, &ctx).map_err(|e| e.to_string());
            SOCKET_EXEC
                .iter()
                .flat_map(|key| unit.settings.get_list("Socket", key))
                .flat_map(|line| parse_exec_line(line, &expand).commands)
                .collect()
        }
        _ => Vec::new(),
    };
    let mut failed = false;
    for command in commands.iter().filter(|c| !c.flags.ignore_failure) {
        if let Err(e) = find_executable(&scope.root, &command.path) {
            eprintln!(
                "{}: Command {} is not executable: {}",
                unit.id,
                command.path,
                unitbox_core::error::os_error_text(&e)
            );
            failed = true;
        }
    }
    failed
}

/// 252's `find_executable_full()` inside the root: a path with a slash is checked itself, a
/// bare name in each directory of the default search path (the last error wins).
fn find_executable(root: &Root, path: &str) -> io::Result<()> {
    if path.contains('/') {
        return check_executable(root, Path::new(path));
    }
    let mut last = io::Error::from_raw_os_error(libc::ENOENT);
    for dir in DEFAULT_SEARCH_PATH {
        match check_executable(root, &Path::new(dir).join(path)) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// `check_x_access()`: a regular file the caller may execute.
fn check_executable(root: &Root, logical: &Path) -> io::Result<()> {
    let real = root.canonicalize(logical)?;
    let host = root.host_path(&real);
    let meta = std::fs::metadata(&host)?;
    if meta.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    }
    if !meta.is_file() {
        return Err(io::Error::from_raw_os_error(libc::EBADFD));
    }
    nix::unistd::access(&host, nix::unistd::AccessFlags::X_OK)
        .map_err(|e| io::Error::from_raw_os_error(e as i32))
}

/// 252's `verify_documentation()`: `man` must show each `man:` page (`--man=no` skips).
fn documentation(graph: &Graph, unit: &Unit, man: bool) -> bool {
    if !man {
        return false;
    }
    let mut failed = false;
    for url in documentation_urls(graph, unit) {
        let Some(page) = url.strip_prefix("man:") else {
            continue;
        };
        if let Some(problem) = show_man_page(page) {
            eprintln!("{}: {problem}", unit.id);
            failed = true;
        }
    }
    failed
}

/// The valid `Documentation=` URLs in order (an empty assignment resets the list).
pub fn documentation_urls(graph: &Graph, unit: &Unit) -> Vec<String> {
    let mut urls = Vec::new();
    for e in unit.settings.get_all("Unit", "Documentation") {
        if e.value.is_empty() {
            urls.clear();
            continue;
        }
        urls.extend(
            graph::unit_words(unit, graph.scope(), &e.value)
                .into_iter()
                .filter(|u| super::values::documentation_url_is_valid(u)),
        );
    }
    urls
}

/// `show_man_page(desc, true)`: `man SECTION PAGE` (or `man PAGE`) with null stdio; the
/// problem in 252's words, `None` when man succeeded.
fn show_man_page(desc: &str) -> Option<String> {
    let args: Vec<&str> = match desc.strip_suffix(')').and_then(|d| d.rsplit_once('(')) {
        Some((page, section)) => vec![section, page],
        None => vec![desc],
    };
    let status = Command::new("man")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        // 252's child exits with EXIT_FAILURE when man cannot be executed.
        Err(_) => Some(format!("Command 'man {desc}' failed with code 1")),
        Ok(s) => match s.code() {
            Some(0) => None,
            Some(code) => Some(format!("Command 'man {desc}' failed with code {code}")),
            None => Some(format!("Can't show {desc}: Protocol error")),
        },
    }
}
