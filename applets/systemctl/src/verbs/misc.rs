//! Small verbs: help, --version, get-default.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use std::path::Path;

pub fn print_help() {
    print!("{}", include_str!("help.txt"));
}

pub fn print_version() {
    println!(
        "unitbox {} (systemd 252 compatible)",
        env!("CARGO_PKG_VERSION")
    );
}

pub fn help(_ctx: &Ctx) -> CtlResult {
    print_help();
    Ok(ExitStatus::SUCCESS)
}

/// `get-default`: where `default.target` points, read from the config directories.
pub fn get_default(ctx: &Ctx) -> CtlResult {
    let store = ctx.store();
    let name = unitbox_core::unit::UnitName::parse("default.target").expect("valid name");
    let target = match store.resolve(&name) {
        Some((resolved, _)) => resolved.to_string(),
        None => {
            return Err(crate::exit::CtlError::failure(
                "Failed to get default target: No such file or directory",
            ))
        }
    };
    let _ = Path::new("/");
    println!("{target}");
    Ok(ExitStatus::SUCCESS)
}
