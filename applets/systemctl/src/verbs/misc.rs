//! Small verbs: help, --version, show-environment, get-default.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use crate::verbs::show::format::shell_quote_posix;
use unitbox_core::exec::manager_env;

pub fn help(_ctx: &Ctx) -> CtlResult {
    crate::cli::print_help();
    Ok(ExitStatus::SUCCESS)
}

/// `show-environment`: the manager's environment, sorted, values quoted as systemd does.
pub fn show_environment(ctx: &Ctx) -> CtlResult {
    let mut out = String::new();
    for entry in manager_environment(ctx) {
        if let Some((name, value)) = entry.split_once('=') {
            out.push_str(&format!("{name}={}\n", shell_quote_posix(value)));
        }
    }
    print!("{out}");
    Ok(ExitStatus::SUCCESS)
}

/// The manager environment of the scope (core's one model), as `NAME=value` entries.
pub fn manager_environment(ctx: &Ctx) -> Vec<String> {
    manager_env::manager_environment(&ctx.scope, &manager_env::own_environment())
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}
