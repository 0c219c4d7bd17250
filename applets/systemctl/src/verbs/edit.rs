//! `systemctl edit UNIT…` as systemd 252's `systemctl-edit.c`: a drop-in `override.conf`
//! (or, with `--full`, a copy of the unit file) in the scope's configuration directory
//! (`--runtime`: the runtime one), prepared in a temporary file next to it with 252's
//! commented template, opened in `$SYSTEMD_EDITOR`, `$EDITOR`, `$VISUAL` or the first of
//! editor/nano/vim/vi, trimmed to what lies between the markers and renamed into place; an
//! empty result cancels (252's warning, nothing written), then `daemon-reload`.
//!
//! Beyond 252: no terminal is needed (containers rarely have one; 252 refuses "Cannot edit
//! units if not on a tty."), `--root` works (images are prepared in a directory), and
//! `--drop-in=NAME` (systemd ≥ 253) names the drop-in.

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::verbs::cat::{daemon_reload, expand};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use unitbox_core::scope::ScopeKind;
use unitbox_core::unit::{LoadState, UnitName};

const MARKER_START: &str =
    "### Anything between here and the comment below will become the new contents of the file";
const MARKER_END: &str = "### Lines below this comment will be discarded";

/// One file to edit: where it goes (logical and host path) and its temporary copy (host).
struct Edit {
    logical: PathBuf,
    host: PathBuf,
    tmp: PathBuf,
}

fn io_text(err: &io::Error) -> String {
    unitbox_core::error::os_error_text(err)
}

/// The drop-in file name: `override.conf`, or `--drop-in=NAME` with `.conf` added.
fn dropin_name(ctx: &Ctx) -> String {
    match ctx.opts.drop_in.as_deref() {
        Some(name) if name.ends_with(".conf") => name.to_string(),
        Some(name) => format!("{name}.conf"),
        None => "override.conf".to_string(),
    }
}

/// 252's `get_file_to_edit()`: the persistent path, or with `--runtime` the runtime one,
/// refused when the persistent one exists (it would win anyway).
fn file_to_edit(ctx: &Ctx, relative: &str) -> CtlResult<PathBuf> {
    let dir = |runtime| {
        ctx.scope
            .config_dir(runtime)
            .ok_or_else(|| CtlError::failure("Cannot edit units in this scope."))
    };
    let persistent = dir(false)?.join(relative);
    if !ctx.opts.runtime {
        return Ok(persistent);
    }
    let run = dir(true)?.join(relative);
    if ctx.scope.root.host_path(&persistent).exists() {
        return Err(CtlError::failure(format!(
            "Refusing to create \"{}\" because it would be overridden by \"{}\" anyway.",
            run.display(),
            persistent.display()
        )));
    }
    Ok(run)
}

/// `.#NAME` plus 16 hex digits, in the target's directory (252's `tempfn_random()`).
fn temp_path(host: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let salt = nanos.rotate_left(17) ^ (u64::from(std::process::id()) << 32) ^ nanos;
    let name = host
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    host.with_file_name(format!(".#{name}{salt:016x}"))
}

fn create_dirs(host: &Path, logical: &Path) -> CtlResult<()> {
    let Some(parent) = host.parent() else {
        return Ok(());
    };
    std::fs::create_dir_all(parent).map_err(|e| {
        CtlError::failure(format!(
            "Failed to create directories for \"{}\": {}",
            logical.display(),
            io_text(&e)
        ))
    })
}

fn write_temp(edit: &Edit, text: &[u8]) -> CtlResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&edit.tmp)
        .and_then(|mut f| io::Write::write_all(&mut f, text))
        .map_err(|e| {
            CtlError::failure(format!(
                "Failed to create temporary file \"{}\": {}",
                edit.tmp.display(),
                io_text(&e)
            ))
        })
}

/// 252's template: the file's current contents between the markers, then every other file
/// of the unit commented out.
fn template(ctx: &Ctx, edit: &Edit, originals: &[PathBuf]) -> CtlResult<Vec<u8>> {
    let current = std::fs::read_to_string(&edit.host).unwrap_or_default();
    let mut text = format!(
        "### Editing {}\n{MARKER_START}\n\n{current}{}\n{MARKER_END}",
        edit.logical.display(),
        if current.ends_with('\n') { "" } else { "\n" }
    );
    for path in originals.iter().filter(|p| **p != edit.logical) {
        let contents = ctx.store().read(path).map_err(|e| {
            CtlError::failure(format!(
                "Failed to read \"{}\": {}",
                path.display(),
                io_text(&e)
            ))
        })?;
        text.push_str(&format!("\n\n### {}", path.display()));
        let contents = String::from_utf8_lossy(&contents);
        let contents = contents.trim_matches(|c: char| " \t\n\r".contains(c));
        if !contents.is_empty() {
            text.push_str(&format!("\n# {}", contents.replace('\n', "\n# ")));
        }
    }
    Ok(text.into_bytes())
}

/// What to edit for one unit name (252's `find_paths_to_edit()`).
fn prepare(ctx: &Ctx, name: &str) -> CtlResult<Edit> {
    let unit_name = UnitName::parse(name)
        .map_err(|_| CtlError::failure("Failed to mangle unit name: Invalid argument"))?;
    let unit = ctx.store().load(&unit_name);
    let scope_flag = match ctx.scope.kind {
        ScopeKind::Global => " --global",
        ScopeKind::System => "",
        _ => " --user",
    };
    let Some(fragment) = unit.fragment_path.clone() else {
        if !ctx.opts.force {
            eprintln!("No files found for {name}.");
            return Err(CtlError::failure(format!(
                "Run 'systemctl edit{scope_flag} --force --full {name}' to create a new unit."
            )));
        }
        // A new unit (or a drop-in for one) from scratch: the editor creates the file.
        let relative = if ctx.opts.full {
            name.to_string()
        } else {
            format!("{name}.d/{}", dropin_name(ctx))
        };
        let logical = file_to_edit(ctx, &relative)?;
        let host = ctx.scope.root.host_path(&logical);
        create_dirs(&host, &logical)?;
        let tmp = temp_path(&host);
        return Ok(Edit { logical, host, tmp });
    };
    // Aliases are followed to the file's name; an instance keeps its instance.
    let mut target = fragment
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_string());
    if let (Some(instance), Ok(file_name)) = (unit_name.instance(), UnitName::parse(&target)) {
        if file_name.is_template() {
            if let Ok(instantiated) = file_name.with_instance(instance) {
                target = instantiated.as_str().to_string();
            }
        }
    }
    if ctx.opts.full {
        let logical = file_to_edit(ctx, &target)?;
        let host = ctx.scope.root.host_path(&logical);
        if logical != fragment && host.exists() {
            return Err(CtlError::failure(format!("{target} skipped.")));
        }
        create_dirs(&host, &logical)?;
        let edit = Edit {
            tmp: temp_path(&host),
            logical,
            host,
        };
        let text = ctx.store().read(&fragment).map_err(|e| {
            CtlError::failure(format!(
                "Failed to create temporary file for \"{}\": {}",
                edit.logical.display(),
                io_text(&e)
            ))
        })?;
        write_temp(&edit, &text)?;
        return Ok(edit);
    }
    let logical = file_to_edit(ctx, &format!("{target}.d/{}", dropin_name(ctx)))?;
    let host = ctx.scope.root.host_path(&logical);
    create_dirs(&host, &logical)?;
    let edit = Edit {
        tmp: temp_path(&host),
        logical,
        host,
    };
    let mut originals = vec![fragment];
    originals.extend(unit.dropin_paths.iter().cloned());
    let text = template(ctx, &edit, &originals)?;
    write_temp(&edit, &text)?;
    Ok(edit)
}

/// 252's `run_editor()`: the configured editor (split at whitespace) or the first of the
/// well-known ones that exists, with every temporary file as arguments.
fn run_editor(edits: &[Edit]) {
    let configured = ["SYSTEMD_EDITOR", "EDITOR", "VISUAL"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .unwrap_or_default();
    let configured: Vec<&str> = configured.split_whitespace().collect();
    let files: Vec<&Path> = edits.iter().map(|e| e.tmp.as_path()).collect();
    let mut candidates: Vec<(&str, &[&str])> = Vec::new();
    if let Some((program, args)) = configured.split_first() {
        candidates.push((program, args));
    }
    for well_known in ["editor", "nano", "vim", "vi"] {
        candidates.push((well_known, &[]));
    }
    for (program, args) in candidates {
        match Command::new(program).args(args).args(&files).status() {
            Ok(status) => {
                if let Some(code) = status.code().filter(|c| *c != 0) {
                    eprintln!("(editor) failed with exit status {code}.");
                } else if status.code().is_none() {
                    eprintln!("(editor) terminated by signal.");
                }
                return;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                eprintln!("Failed to execute {program}: {}", io_text(&e));
                return;
            }
        }
    }
    eprintln!(
        "Cannot edit units, no editor available. Please set either $SYSTEMD_EDITOR, $EDITOR or $VISUAL."
    );
    // 252's editor child exits 1 after saying so, and the edit goes on with the template.
    eprintln!("(editor) failed with exit status 1.");
}

/// 252's `trim_edit_markers()`: keeps what lies between the markers, stripped; rewrites the
/// file (without a final newline, as 252) only when that changed anything.
fn trim_markers(path: &Path) -> io::Result<()> {
    let contents = std::fs::read_to_string(path)?;
    let start = contents
        .find(MARKER_START)
        .map_or(0, |i| i + MARKER_START.len());
    let end = contents[start..]
        .find(MARKER_END)
        .map_or(contents.len(), |i| start + i);
    let is_space = |c: char| " \t\n\r".contains(c);
    let kept = contents[start..end].trim_end_matches(is_space);
    if start + kept.len() != contents.len() {
        std::fs::write(path, kept.trim_start_matches(is_space))?;
    }
    Ok(())
}

fn finish(edits: &[Edit]) -> CtlResult {
    for edit in edits {
        if let Err(e) = trim_markers(&edit.tmp) {
            eprintln!(
                "Failed to read temporary file \"{}\": {}",
                edit.tmp.display(),
                io_text(&e)
            );
            continue;
        }
        if std::fs::metadata(&edit.tmp).map_or(true, |m| m.len() == 0) {
            eprintln!(
                "Editing \"{}\" canceled: temporary file is empty.",
                edit.logical.display()
            );
            continue;
        }
        std::fs::rename(&edit.tmp, &edit.host).map_err(|e| {
            CtlError::failure(format!(
                "Failed to rename \"{}\" to \"{}\": {}",
                edit.tmp.display(),
                edit.logical.display(),
                io_text(&e)
            ))
        })?;
    }
    Ok(ExitStatus::SUCCESS)
}

pub fn edit(ctx: &Ctx) -> CtlResult {
    let store = ctx.store();
    let names: Vec<String> = ctx
        .opts
        .args
        .iter()
        .flat_map(|a| expand(store, a))
        .collect();
    if names.is_empty() {
        return Err(CtlError::failure(
            "No units matched the specified patterns.",
        ));
    }
    for name in &names {
        let masked =
            UnitName::parse(name).is_ok_and(|n| store.load(&n).load_state == LoadState::Masked);
        if masked {
            return Err(CtlError::failure(format!(
                "Cannot edit {name}: unit is masked."
            )));
        }
    }
    let mut edits = Vec::new();
    let mut result = Ok(ExitStatus::SUCCESS);
    for name in &names {
        match prepare(ctx, name) {
            Ok(edit) => edits.push(edit),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_ok() {
        run_editor(&edits);
        result = finish(&edits);
    }
    for edit in &edits {
        let _ = std::fs::remove_file(&edit.tmp);
        if !ctx.opts.full {
            // Only succeeds when empty: a canceled first drop-in leaves no directory.
            if let Some(dir) = edit.host.parent() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
    // 252 reloads the manager unless --no-reload or working on files only (--root).
    if result.is_ok() && !ctx.opts.no_reload && ctx.opts.root.is_none() {
        daemon_reload(ctx)?;
    }
    result
}
