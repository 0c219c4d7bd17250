//! The manager environment verbs: `show-environment`, `set-environment`,
//! `unset-environment`, `import-environment`. The model is core's
//! (`exec::manager_env` for what spawns see, `exec::client_env` for what these verbs change);
//! messages and exit codes are 252's.

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult, ExitStatus};
use crate::verbs::list::{table_output, TableOutput};
use crate::verbs::show::format::shell_quote_posix;
use unitbox_core::exec::{client_env, manager_env};
use unitbox_core::json::Json;

/// The manager environment of the scope (core's one model), as `NAME=value` entries.
pub fn manager_environment(ctx: &Ctx) -> Vec<String> {
    manager_env::manager_environment(&ctx.scope, &manager_env::own_environment())
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// `show-environment`: the effective environment, values quoted as 252 quotes them, or one
/// JSON object with `-o json*`.
pub fn show_environment(ctx: &Ctx) -> CtlResult {
    let env = manager_env::manager_environment(&ctx.scope, &manager_env::own_environment());
    let json = || {
        Json::Object(
            env.iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect(),
        )
    };
    match table_output(ctx)? {
        TableOutput::Json => println!("{}", json().to_compact()),
        TableOutput::JsonPretty => println!("{}", json().to_pretty()),
        TableOutput::Text => {
            let mut out = String::new();
            for (name, value) in &env {
                out.push_str(&format!("{name}={}\n", shell_quote_posix(value)));
            }
            print!("{out}");
        }
    }
    Ok(ExitStatus::SUCCESS)
}

fn apply(ctx: &Ctx, minus: &[String], plus: &[String], what: &str) -> CtlResult {
    client_env::modify(&ctx.scope, minus, plus)
        .map_err(|e| CtlError::failure(format!("Failed to {what} environment: {e}")))?;
    Ok(ExitStatus::SUCCESS)
}

pub fn set_environment(ctx: &Ctx) -> CtlResult {
    if !client_env::assignments_are_valid(&ctx.opts.args) {
        return Err(CtlError::failure(
            "Failed to set environment: Invalid environment assignments",
        ));
    }
    apply(ctx, &[], &ctx.opts.args, "set")
}

pub fn unset_environment(ctx: &Ctx) -> CtlResult {
    if !client_env::names_or_assignments_are_valid(&ctx.opts.args) {
        return Err(CtlError::failure(
            "Failed to set environment: Invalid environment variable names or assignments",
        ));
    }
    apply(ctx, &ctx.opts.args, &[], "set")
}

fn has_control_characters(text: &str) -> bool {
    text.chars().any(|c| c < ' ' || c == '\x7f')
}

/// `import-environment [NAME…]`: this process's variables into the client environment; with
/// no names all of them (deprecated in 252, and said so).
pub fn import_environment(ctx: &Ctx) -> CtlResult {
    let own = manager_env::own_environment();
    let mut plus = Vec::new();
    if ctx.opts.args.is_empty() {
        eprintln!("Calling import-environment without a list of variable names is deprecated.");
        for (name, value) in &own {
            let entry = format!("{name}={value}");
            if !client_env::assignment_is_valid(&entry) {
                continue;
            }
            if has_control_characters(&entry) {
                eprintln!(
                    "Environment variable ${name} contains control characters, importing anyway."
                );
            }
            plus.push(entry);
        }
    } else {
        for wanted in &ctx.opts.args {
            if !client_env::name_is_valid(wanted) {
                return Err(CtlError::failure(format!(
                    "Not a valid environment variable name: {wanted}"
                )));
            }
            match own.iter().find(|(name, _)| name == wanted) {
                Some((name, value)) => {
                    if has_control_characters(value) {
                        eprintln!("Environment variable ${name} contains control characters, importing anyway.");
                    }
                    plus.push(format!("{name}={value}"));
                }
                None => eprintln!("Environment variable ${wanted} not set, ignoring."),
            }
        }
    }
    // As 252's strv_env_clean(): the last of two assignments of one name wins.
    let mut unique: Vec<String> = Vec::new();
    for entry in plus.into_iter().rev() {
        let name = entry.split('=').next().unwrap_or("").to_string();
        if !unique
            .iter()
            .any(|e| e.split('=').next() == Some(name.as_str()))
        {
            unique.push(entry);
        }
    }
    unique.reverse();
    apply(ctx, &[], &unique, "import")
}
