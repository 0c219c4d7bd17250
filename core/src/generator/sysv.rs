//! The built-in `systemd-sysv-generator` (252's `src/sysv-generator`): every executable
//! `/etc/init.d` script without a native unit (generated units do not count) becomes
//! `NAME.service` in the late generator directory — `Type=forking`,
//! `ExecStart=SCRIPT start`, `ExecStop=SCRIPT stop`, `ExecReload=` when its usage line
//! names `reload`, `SourcePath=`; the LSB header gives `Description=`, `After=`/`Wants=`
//! (facilities mapped as 252 maps them), `Provides:` aliases; `S??NAME` links in
//! `/etc/rc[1-5].d` make the runlevel targets want it. Written byte for byte as 252 writes.

use crate::root::Root;
use crate::scope::Scope;
use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The generator's file name; a file of this name in a generator directory is replaced by
/// us (a symlink to `/dev/null` masks it).
pub const BUILTIN_NAME: &str = "systemd-sysv-generator";
pub const INIT_D: &str = "/etc/init.d";
pub const RC_DIRS: &[&str] = &[
    "/etc/rc0.d",
    "/etc/rc1.d",
    "/etc/rc2.d",
    "/etc/rc3.d",
    "/etc/rc4.d",
    "/etc/rc5.d",
    "/etc/rc6.d",
    "/etc/rcS.d",
];

/// 252's `rcnd_table`: the start runlevels and the targets they stand for.
const RUNLEVELS: &[(&str, &str)] = &[
    ("/etc/rc1.d", "rescue.target"),
    ("/etc/rc2.d", "multi-user.target"),
    ("/etc/rc3.d", "multi-user.target"),
    ("/etc/rc4.d", "multi-user.target"),
    ("/etc/rc5.d", "graphical.target"),
];

/// LSB exit codes 5 (not installed) and 6 (not configured) count as clean.
const SUCCESS_EXIT_STATUS: &str = "5 6";

#[derive(Debug, Default)]
struct Stub {
    name: String,
    /// Logical path of the script.
    path: PathBuf,
    description: Option<String>,
    before: Vec<String>,
    after: Vec<String>,
    wants: Vec<String>,
    wanted_by: Vec<String>,
    aliases: Vec<String>,
    pid_file: Option<String>,
    has_lsb: bool,
    reload: bool,
    start_priority: Option<u32>,
}

/// `foo.sh` → `foo.service`, `foo` → `foo.service`.
fn translate_name(file: &str) -> String {
    format!("{}.service", file.strip_suffix(".sh").unwrap_or(file))
}

/// Whether a native unit of that name exists outside the generator directories (252's
/// `unit_file_exists()` with `LOOKUP_PATHS_EXCLUDE_GENERATED`); a masking symlink counts.
pub fn native_unit_exists(scope: &Scope, name: &str) -> bool {
    scope
        .unit_dirs()
        .iter()
        .filter(|d| !d.class.is_generator())
        .any(|d| std::fs::symlink_metadata(scope.root.host_path(&d.path.join(name))).is_ok())
}

/// The scripts that get a unit, by unit name.
fn enumerate(scope: &Scope, log: &dyn Fn(&str)) -> BTreeMap<String, Stub> {
    let root = &scope.root;
    let mut out = BTreeMap::new();
    let Ok(read) = std::fs::read_dir(root.host_path(Path::new(INIT_D))) else {
        return out;
    };
    let mut files: Vec<String> = read
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !crate::dirent::hidden_or_backup(n))
        .collect();
    files.sort();
    for file in files {
        let path = Path::new(INIT_D).join(&file);
        let Ok(meta) = std::fs::metadata(root.host_path(&path)) else {
            continue;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o100 == 0 {
            continue;
        }
        let name = translate_name(&file);
        if out.contains_key(&name) || native_unit_exists(scope, &name) {
            continue;
        }
        log(&format!(
            "SysV service '{}' lacks a native systemd unit file. Automatically generating a unit file for compatibility. Please update package to include a native systemd unit file, in order to make it more safe and robust.",
            path.display()
        ));
        out.insert(
            name.clone(),
            Stub {
                name,
                path,
                ..Stub::default()
            },
        );
    }
    out
}

/// `S??NAME` links: runlevel targets' `Before=` and wants, and the start priority.
fn runlevels(root: &Root, stubs: &mut BTreeMap<String, Stub>) {
    for (dir, target) in RUNLEVELS {
        let Ok(read) = std::fs::read_dir(root.host_path(Path::new(dir))) else {
            continue;
        };
        let mut links: Vec<String> = read
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        links.sort();
        for link in links {
            let b = link.as_bytes();
            if b.len() < 4 || b[0] != b'S' || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
                continue;
            }
            let priority = u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0');
            let Some(stub) = stubs.get_mut(&translate_name(&link[3..])) else {
                continue;
            };
            stub.start_priority = Some(stub.start_priority.map_or(priority, |p| p.max(priority)));
            // A set per runlevel directory: one entry per directory, as 252.
            stub.before.push(target.to_string());
            stub.wanted_by.push(target.to_string());
        }
    }
}

/// 252's `sysv_translate_facility()`: `None` for facilities that mean nothing here and
/// for the script's own name.
fn translate_facility(script: &str, word: &str) -> Option<String> {
    let bare = word.strip_prefix('$').unwrap_or(word);
    const TABLE: &[(&str, Option<&str>)] = &[
        ("local_fs", None),
        ("network", Some("network-online.target")),
        ("named", Some("nss-lookup.target")),
        ("portmap", Some("rpcbind.target")),
        ("remote_fs", Some("remote-fs.target")),
        ("syslog", None),
        ("time", Some("time-sync.target")),
    ];
    if let Some((_, unit)) = TABLE.iter().find(|(f, _)| *f == bare) {
        return unit.map(str::to_string);
    }
    if word.starts_with('$') {
        return Some(format!("{bare}.target"));
    }
    let own = script.strip_suffix(".sh").unwrap_or(script);
    (bare != own).then(|| translate_name(bare))
}

fn starts_with_no_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn usage_contains_reload(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    [
        "{reload|",
        "{reload}",
        "{reload\"",
        "|reload|",
        "|reload}",
        "|reload\"",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

#[derive(PartialEq, Clone, Copy)]
enum State {
    Normal,
    Description,
    Lsb,
    LsbDescription,
    UsageContinuation,
}

/// 252's `load_sysv()`: the script's headers.
fn load(stub: &mut Stub, text: &str, log: &dyn Fn(&str)) {
    let script = stub
        .path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut state = State::Normal;
    let (mut short, mut chkconfig, mut long): (Option<String>, Option<String>, Option<String>) =
        (None, None, None);
    let join = |old: Option<String>, more: &str| match old {
        Some(o) => format!("{o} {more}"),
        None => more.to_string(),
    };
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if !line.starts_with('#') {
            if state == State::UsageContinuation
                || (state == State::Normal && line.to_ascii_lowercase().contains("usage"))
            {
                state = if usage_contains_reload(line) {
                    stub.reload = true;
                    State::Normal
                } else if line.ends_with('\\') {
                    State::UsageContinuation
                } else {
                    State::Normal
                };
            }
            continue;
        }
        if state == State::Normal && line == "### BEGIN INIT INFO" {
            state = State::Lsb;
            stub.has_lsb = true;
            continue;
        }
        if matches!(state, State::Lsb | State::LsbDescription) && line == "### END INIT INFO" {
            state = State::Normal;
            continue;
        }
        let t = line[1..].trim_start();
        match state {
            State::Normal => {
                if starts_with_no_case(t, "description:") {
                    let mut body = &t[12..];
                    if let Some(cut) = body.strip_suffix('\\') {
                        state = State::Description;
                        body = cut;
                    }
                    chkconfig = Some(body.trim().to_string()).filter(|s| !s.is_empty());
                } else if starts_with_no_case(t, "pidfile:") {
                    let file = t[8..].trim();
                    if file.starts_with('/') {
                        stub.pid_file = Some(file.to_string());
                    } else {
                        log(&format!(
                            "[{}:{}] PID file not absolute. Ignoring.",
                            stub.path.display(),
                            number + 1
                        ));
                    }
                }
            }
            State::Description => {
                let body = match t.strip_suffix('\\') {
                    Some(cut) => cut,
                    None => {
                        state = State::Normal;
                        t
                    }
                };
                let body = body.trim();
                if !body.is_empty() {
                    chkconfig = Some(join(chkconfig.take(), body));
                }
            }
            State::Lsb | State::LsbDescription => {
                if starts_with_no_case(t, "Provides:") {
                    state = State::Lsb;
                    for word in t[9..].split_whitespace() {
                        let Some(unit) = translate_facility(&script, word) else {
                            continue;
                        };
                        if unit.ends_with(".service") {
                            stub.aliases.push(unit);
                        } else if unit.ends_with(".target") {
                            stub.before.push(unit.clone());
                            stub.wants.push(unit.clone());
                            if unit == "network-online.target" {
                                stub.before.push("network.target".into());
                                stub.wants.push("network.target".into());
                            }
                        }
                    }
                } else if [
                    "Required-Start:",
                    "Should-Start:",
                    "X-Start-Before:",
                    "X-Start-After:",
                ]
                .iter()
                .any(|k| starts_with_no_case(t, k))
                {
                    state = State::Lsb;
                    let before = starts_with_no_case(t, "X-Start-Before:");
                    let body = t.split_once(':').map(|(_, b)| b).unwrap_or("");
                    for word in body.split_whitespace() {
                        let Some(unit) = translate_facility(&script, word) else {
                            continue;
                        };
                        if unit == "network-online.target" && !before {
                            stub.after.push(unit.clone());
                            stub.wants.push(unit);
                        } else if before {
                            stub.before.push(unit);
                        } else {
                            stub.after.push(unit);
                        }
                    }
                } else if starts_with_no_case(t, "Description:") {
                    state = State::LsbDescription;
                    long = Some(t[12..].trim().to_string()).filter(|s| !s.is_empty());
                } else if starts_with_no_case(t, "Short-Description:") {
                    state = State::Lsb;
                    short = Some(t[18..].trim().to_string()).filter(|s| !s.is_empty());
                } else if state == State::LsbDescription {
                    if raw.starts_with("#\t") || raw.starts_with("#  ") {
                        let body = t.trim();
                        if !body.is_empty() {
                            long = Some(join(long.take(), body));
                        }
                    } else {
                        state = State::Lsb;
                    }
                }
            }
            State::UsageContinuation => {}
        }
    }
    let description = short.or(chkconfig).or(long);
    stub.description =
        description.map(|d| format!("{}{d}", if stub.has_lsb { "LSB: " } else { "SYSV: " }));
}

/// 252's `fix_order()`: scripts without LSB headers are ordered by their start priority
/// (252 visits the others in hash order, which changes from run to run; we go by name).
fn fix_order(stubs: &mut BTreeMap<String, Stub>) {
    let prios: Vec<(String, Option<u32>, bool)> = stubs
        .values()
        .map(|s| (s.name.clone(), s.start_priority, s.has_lsb))
        .collect();
    for stub in stubs.values_mut() {
        let Some(mine) = stub.start_priority else {
            continue;
        };
        for (other, prio, lsb) in &prios {
            let Some(theirs) = prio else { continue };
            if *other == stub.name || (stub.has_lsb && *lsb) {
                continue;
            }
            if *theirs < mine {
                stub.after.push(other.clone());
            } else if *theirs > mine {
                stub.before.push(other.clone());
            }
        }
    }
}

/// `%` doubled, as `specifier_escape()`.
fn escape(s: &str) -> String {
    s.replace('%', "%%")
}

fn unit_text(stub: &Stub) -> String {
    let path = escape(&stub.path.to_string_lossy());
    let mut t = format!(
        "# Automatically generated by systemd-sysv-generator\n\n[Unit]\nDocumentation=man:systemd-sysv-generator(8)\nSourcePath={path}\n"
    );
    if let Some(d) = &stub.description {
        t.push_str(&format!("Description={}\n", escape(d)));
    }
    for (key, list) in [
        ("Before", &stub.before),
        ("After", &stub.after),
        ("Wants", &stub.wants),
    ] {
        for unit in list {
            t.push_str(&format!("{key}={unit}\n"));
        }
    }
    t.push_str(&format!(
        "\n[Service]\nType=forking\nRestart=no\nTimeoutSec=5min\nIgnoreSIGPIPE=no\nKillMode=process\nGuessMainPID=no\nRemainAfterExit={}\n",
        if stub.pid_file.is_some() { "no" } else { "yes" }
    ));
    if let Some(p) = &stub.pid_file {
        t.push_str(&format!("PIDFile={}\n", escape(p)));
    }
    if stub.has_lsb {
        t.push_str(&format!("SuccessExitStatus={SUCCESS_EXIT_STATUS}\n"));
    }
    t.push_str(&format!("ExecStart={path} start\nExecStop={path} stop\n"));
    if stub.reload {
        t.push_str(&format!("ExecReload={path} reload\n"));
    }
    t
}

/// Writes the units of the scope's init scripts into `late` (logical).
pub fn generate(scope: &Scope, late: &Path, log: &dyn Fn(&str)) -> io::Result<()> {
    let root = &scope.root;
    let dest = root.host_path(late);
    let mut stubs = enumerate(scope, log);
    if stubs.is_empty() {
        return Ok(());
    }
    runlevels(root, &mut stubs);
    for stub in stubs.values_mut() {
        match std::fs::read(root.host_path(&stub.path)) {
            Ok(bytes) => load(stub, &String::from_utf8_lossy(&bytes), log),
            Err(e) => log(&format!("Failed to open {}: {e}", stub.path.display())),
        }
    }
    fix_order(&mut stubs);
    // Aliases first: a real script of the same name replaces the link below.
    for stub in stubs.values() {
        for alias in &stub.aliases {
            let _ = std::os::unix::fs::symlink(&stub.name, dest.join(alias));
        }
    }
    for stub in stubs.values() {
        let file = dest.join(&stub.name);
        if std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink()) {
            log(&format!(
                "Overwriting existing symlink {} with real service.",
                late.join(&stub.name).display()
            ));
            let _ = std::fs::remove_file(&file);
        }
        std::fs::write(&file, unit_text(stub))?;
        for target in &stub.wanted_by {
            let wants = dest.join(format!("{target}.wants"));
            std::fs::create_dir_all(&wants)?;
            let _ = std::os::unix::fs::symlink(format!("../{}", stub.name), wants.join(&stub.name));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "sysv_tests.rs"]
mod tests;
