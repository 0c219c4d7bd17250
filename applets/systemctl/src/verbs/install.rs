//! Install-side verbs: enable, disable, reenable, mask, unmask, link, preset, preset-all,
//! set-default, get-default, is-enabled, list-unit-files. The work happens in
//! `unitbox_core::install`; this module mangles arguments, redirects SysV scripts, prints
//! systemd 252's messages and picks the exit code.

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use unitbox_core::install::changes::{ChangeLog, Errno};
use unitbox_core::install::info::Diagnostics;
use unitbox_core::install::list::{self, UnitFileEntry};
use unitbox_core::install::ops::{self, Flags};
use unitbox_core::install::preset::{self, Mode};
use unitbox_core::install::{state, sysv, Index, UnitFileState};
use unitbox_core::json::Json;
use unitbox_core::scope::ScopeKind;
use unitbox_core::unit::name;

/// systemd's `is_locale_utf8()`, reduced to the environment: an unset locale counts as
/// UTF-8, an explicit one only if it names UTF-8.
fn utf8_locale() -> bool {
    let var = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    match var {
        None => true,
        Some(v) => {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        }
    }
}

fn arrow() -> &'static str {
    if utf8_locale() {
        "→"
    } else {
        "->"
    }
}

/// systemctl's `mangle_names()`: paths stay as they are, names are mangled by
/// [`name::mangle_with_suffix`] (with its notice unless `-q`); an argument that cannot
/// become a unit name fails the verb before anything is touched.
pub(super) fn mangle(arg: &str, suffix: &str, quiet: bool) -> CtlResult<String> {
    if arg.contains('/') {
        return Ok(arg.to_string());
    }
    let mangled = name::mangle_with_suffix(arg, suffix, false).ok_or_else(|| {
        CtlError::failure(format!(
            "Failed to mangle unit name or path '{arg}': Invalid argument"
        ))
    })?;
    if let Some(notice) = mangled.notice(arg).filter(|_| !quiet) {
        eprintln!("{notice}");
    }
    Ok(mangled.name)
}

fn mangled_args(ctx: &Ctx, suffix: &str) -> CtlResult<Vec<String>> {
    ctx.opts
        .args
        .iter()
        .map(|a| mangle(a, suffix, ctx.opts.quiet))
        .collect()
}

pub(super) fn flags(ctx: &Ctx) -> Flags {
    Flags {
        runtime: ctx.opts.runtime,
        force: ctx.opts.force,
    }
}

/// Prints the change report and turns systemd's result into an exit status: a negative
/// errno fails, with a generic line when no change explained it.
pub(super) fn finish(ctx: &Ctx, log: &ChangeLog, verb: &str, r: i32) -> CtlResult {
    let (lines, printed_error) = log.report(verb, ctx.opts.quiet, arrow());
    for line in lines {
        eprintln!("{line}");
    }
    if r >= 0 {
        return Ok(ExitStatus::SUCCESS);
    }
    if printed_error {
        return Err(CtlError::failure(""));
    }
    Err(CtlError::failure(format!(
        "Failed to {verb}: {}.",
        Errno(-r).message()
    )))
}

/// `enable`/`disable`/`is-enabled` of a name with no unit file but an init script go to
/// the SysV code (system scope only). Returns the names left for the native code, and
/// whether any redirected `is-enabled` was enabled.
fn redirect_sysv(ctx: &Ctx, verb: &str, names: Vec<String>) -> CtlResult<(Vec<String>, bool)> {
    if ctx.scope.kind != ScopeKind::System {
        return Ok((names, false));
    }
    let root = &ctx.scope.root;
    let index = Index::new(&ctx.scope);
    let mut native = Vec::new();
    let mut any_enabled = false;
    for name in names {
        // 252 looks for a native unit with LOOKUP_PATHS_EXCLUDE_GENERATED: the unit the
        // SysV generator made of the script is not one.
        let has_unit =
            ops::unit_file_exists(&ctx.scope, &index, &name) && !generated_only(&ctx.scope, &name);
        let script = (!name.contains('/') && !has_unit)
            .then(|| sysv::script_for(root, &name))
            .flatten();
        let Some(script) = script else {
            native.push(name);
            continue;
        };
        let base = script
            .file_name()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_default();
        ctx.info(format!(
            "{name} is not a native service, redirecting to systemd-sysv-install."
        ));
        match verb {
            "is-enabled" => {
                let enabled = sysv::is_enabled(root, &base);
                if !ctx.opts.quiet {
                    println!("{}", if enabled { "enabled" } else { "disabled" });
                }
                any_enabled |= enabled;
            }
            _ => sysv::set_enabled(root, &base, verb == "enable").map_err(|e| {
                CtlError::failure(format!("Failed to {verb} {name}: {}", error_text(&e)))
            })?,
        }
    }
    Ok((native, any_enabled))
}

/// Whether `name` exists only in a generator output directory.
fn generated_only(scope: &unitbox_core::scope::Scope, name: &str) -> bool {
    let generated = scope.unit_dirs().iter().any(|d| {
        d.class.is_generator()
            && std::fs::symlink_metadata(scope.root.host_path(&d.path.join(name))).is_ok()
    });
    generated && !unitbox_core::generator::sysv::native_unit_exists(scope, name)
}

fn error_text(e: &std::io::Error) -> String {
    Errno(e.raw_os_error().unwrap_or(libc::EIO)).message()
}

const NO_INSTALL_INFO: &str =
    "The unit files have no installation config (WantedBy=, RequiredBy=, Also=,
Alias= settings in the [Install] section, and DefaultInstance= for template
units). This means they are not meant to be enabled using systemctl.
 
Possible reasons for having this kind of units are:
{B} A unit may be statically enabled by being symlinked from another unit's
  .wants/ or .requires/ directory.
{B} A unit's purpose may be to act as a helper for some other unit which has
  a requirement dependency on it.
{B} A unit may be started when needed via activation (socket, path, timer,
  D-Bus, udev, scripted systemctl call, ...).
{B} In case of template units, the unit is meant to be enabled with some
  instance name specified.";

fn warn_no_install_info(ctx: &Ctx) {
    if ctx.opts.quiet || ctx.opts.no_warn {
        return;
    }
    let bullet = if utf8_locale() { "•" } else { "*" };
    eprintln!("{}", NO_INSTALL_INFO.replace("{B}", bullet));
}

/// `--now`: start (enable, reenable) or stop (disable, mask) the units as well; the job's
/// exit status is the verb's.
fn start_units_after_enable(ctx: &Ctx, verb: &str, names: &[String]) -> CtlResult {
    match verb {
        "enable" | "reenable" => super::lifecycle::start_after_install(ctx, names),
        _ => super::lifecycle::stop_after_install(ctx, names),
    }
}

fn enable_like(ctx: &Ctx, verb: &str) -> CtlResult {
    let names = mangled_args(ctx, "service")?;
    let (names, _) = redirect_sysv(ctx, verb, names)?;
    if names.is_empty() {
        return Ok(ExitStatus::SUCCESS);
    }
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = match verb {
        "enable" => ops::enable(&ctx.scope, &names, flags(ctx), &mut log),
        _ => ops::reenable(&ctx.scope, &names, flags(ctx), &mut log),
    };
    let status = finish(ctx, &log, verb, r)?;
    if r == 0 {
        warn_no_install_info(ctx);
    }
    if ctx.opts.now {
        return start_units_after_enable(ctx, verb, &names);
    }
    Ok(status)
}

pub fn enable(ctx: &Ctx) -> CtlResult {
    enable_like(ctx, "enable")
}

pub fn reenable(ctx: &Ctx) -> CtlResult {
    enable_like(ctx, "reenable")
}

pub fn disable(ctx: &Ctx) -> CtlResult {
    let mut names = mangled_args(ctx, "service")?;
    let mut was_path = false;
    for n in names.iter_mut() {
        if n.contains('/') {
            *n = n.rsplit('/').next().unwrap_or_default().to_string();
            was_path = true;
        }
    }
    if was_path {
        eprintln!(
            "Warning: Can't execute disable on the unit file path. Proceeding with the unit name."
        );
    }
    let (names, _) = redirect_sysv(ctx, "disable", names)?;
    if names.is_empty() {
        return Ok(ExitStatus::SUCCESS);
    }
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = ops::disable(&ctx.scope, &names, flags(ctx), &mut log);
    let status = finish(ctx, &log, "disable", r)?;
    if ctx.opts.now {
        return start_units_after_enable(ctx, "disable", &names);
    }
    Ok(status)
}

pub fn mask(ctx: &Ctx) -> CtlResult {
    let names = mangled_args(ctx, "service")?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = ops::mask(&ctx.scope, &names, flags(ctx), &mut log);
    let status = finish(ctx, &log, "mask", r)?;
    if ctx.opts.now {
        return start_units_after_enable(ctx, "mask", &names);
    }
    Ok(status)
}

pub fn unmask(ctx: &Ctx) -> CtlResult {
    let names = mangled_args(ctx, "service")?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = ops::unmask(&ctx.scope, &names, flags(ctx), &mut log);
    finish(ctx, &log, "unmask", r)
}

pub fn link(ctx: &Ctx) -> CtlResult {
    let mut paths = Vec::new();
    for name in mangled_args(ctx, "service")? {
        if name.starts_with('/') {
            paths.push(name);
            continue;
        }
        if ctx.opts.root.as_deref().is_some_and(|r| !r.is_empty()) {
            return Err(CtlError::failure(format!(
                "Non-absolute paths are not allowed when --root is used: {name}"
            )));
        }
        if !name.contains('/') {
            return Err(CtlError::failure(format!(
                "Link argument does contain at least one directory separator: {name}"
            )));
        }
        let cwd = std::env::current_dir().map_err(|e| {
            CtlError::failure(format!(
                "Failed to get current directory: {}",
                error_text(&e)
            ))
        })?;
        paths.push(cwd.join(&name).display().to_string());
    }
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = ops::link(&ctx.scope, &paths, flags(ctx), &mut log);
    finish(ctx, &log, "link", r)
}

fn preset_mode(ctx: &Ctx) -> CtlResult<Mode> {
    match ctx.opts.preset_mode.as_deref() {
        None => Ok(Mode::Full),
        Some(m) => Mode::parse(m)
            .ok_or_else(|| CtlError::failure(format!("Failed to parse preset mode: {m}."))),
    }
}

pub fn preset(ctx: &Ctx) -> CtlResult {
    let names = mangled_args(ctx, "service")?;
    let mode = preset_mode(ctx)?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = preset::preset(&ctx.scope, &names, mode, flags(ctx), &mut log);
    finish(ctx, &log, "preset", r)
}

pub fn preset_all(ctx: &Ctx) -> CtlResult {
    let mode = preset_mode(ctx)?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = preset::preset_all(&ctx.scope, mode, flags(ctx), &mut log);
    finish(ctx, &log, "preset", r)
}

pub fn set_default(ctx: &Ctx) -> CtlResult {
    let name = mangle(&ctx.opts.args[0], "target", ctx.opts.quiet)?;
    let mut log = ChangeLog::new(&ctx.scope.root, false);
    let r = ops::set_default(&ctx.scope, &name, &mut log);
    let (lines, printed_error) = log.report("set default", ctx.opts.quiet, arrow());
    for line in lines {
        eprintln!("{line}");
    }
    match r {
        r if r >= 0 => Ok(ExitStatus::SUCCESS),
        _ if printed_error => Err(CtlError::failure("")),
        r => Err(CtlError::failure(format!(
            "Failed to set default: {}.",
            Errno(-r).message()
        ))),
    }
}

/// `get-default`.
pub fn get_default(ctx: &Ctx) -> CtlResult {
    match ops::get_default(&ctx.scope) {
        Ok(name) => {
            println!("{name}");
            Ok(ExitStatus::SUCCESS)
        }
        Err(e) => Err(CtlError::failure(format!(
            "Failed to get default target: {}",
            Errno(e).message()
        ))),
    }
}

pub fn is_enabled(ctx: &Ctx) -> CtlResult {
    let names = mangled_args(ctx, "service")?;
    // As systemd: the exit status is 0 if any unit (native or SysV) is enabled.
    let (names, mut enabled) = redirect_sysv(ctx, "is-enabled", names)?;
    let index = Index::new(&ctx.scope);
    for name in &names {
        let st = state::lookup(&ctx.scope, &index, name, Diagnostics::Print).map_err(|e| {
            CtlError::failure(format!(
                "Failed to get unit file state for {name}: {}",
                Errno(e.errno()).message()
            ))
        })?;
        enabled |= st.counts_as_enabled();
        if ctx.opts.quiet {
            continue;
        }
        println!("{}", st.as_str());
        if ctx.opts.full {
            for path in ops::installation_targets(&ctx.scope, name, ctx.opts.runtime) {
                println!("  {}", path.display());
            }
        }
    }
    Ok(if enabled {
        ExitStatus::SUCCESS
    } else {
        ExitStatus::FAILURE
    })
}

pub fn list_unit_files(ctx: &Ctx) -> CtlResult {
    let opts = &ctx.opts;
    let keep = |name: &str, st: UnitFileState| {
        let type_ok = opts.types.is_empty()
            || name
                .rsplit_once('.')
                .is_some_and(|(_, t)| opts.types.iter().any(|x| x == t));
        let state_ok = opts.states.is_empty() || opts.states.iter().any(|s| s == st.as_str());
        type_ok && state_ok
    };
    let entries = list::list(&ctx.scope, &opts.args, &keep, Diagnostics::Print);
    match opts.output.as_deref() {
        Some("json") | Some("json-short") | Some("json-seq") | Some("json-sse") => {
            println!("{}", json_table(&entries).to_compact());
        }
        Some("json-pretty") => println!("{}", json_table(&entries).to_pretty()),
        _ => print_table(&entries, !opts.no_legend),
    }
    // systemd 252 exits 1 (silently) when nothing matched.
    Ok(if entries.is_empty() {
        ExitStatus::FAILURE
    } else {
        ExitStatus::SUCCESS
    })
}

fn preset_text(e: &UnitFileEntry) -> &'static str {
    match e.preset {
        Some(true) => "enabled",
        Some(false) => "disabled",
        None => "-",
    }
}

fn print_table(entries: &[UnitFileEntry], legend: bool) {
    let mut rows: Vec<[&str; 3]> = Vec::with_capacity(entries.len() + 1);
    if legend {
        rows.push(["UNIT FILE", "STATE", "PRESET"]);
    }
    for e in entries {
        rows.push([&e.name, e.state.as_str(), preset_text(e)]);
    }
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let mut out = String::with_capacity(rows.len() * (w0 + w1 + 12));
    for r in &rows {
        out.push_str(&format!("{:<w0$} {:<w1$} {}\n", r[0], r[1], r[2]));
    }
    if legend {
        out.push_str(&format!("\n{} unit files listed.\n", entries.len()));
    }
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

/// The table as systemd's `-o json`: one array of objects keyed by the column names.
fn json_table(entries: &[UnitFileEntry]) -> Json {
    let object = |e: &UnitFileEntry| {
        let preset = match e.preset {
            None => Json::Null,
            Some(_) => Json::String(preset_text(e).into()),
        };
        Json::Object(vec![
            ("unit_file".into(), Json::String(e.name.clone())),
            ("state".into(), Json::String(e.state.as_str().into())),
            ("preset".into(), preset),
        ])
    };
    Json::Array(entries.iter().map(object).collect())
}
