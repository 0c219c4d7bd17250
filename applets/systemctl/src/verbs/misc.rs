//! Small verbs: help.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};

pub fn help(_ctx: &Ctx) -> CtlResult {
    crate::cli::print_help();
    Ok(ExitStatus::SUCCESS)
}
