//! `show` and `show-environment`. (stub: filled in by the show/list work item)

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};

pub fn show(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure("show: not implemented yet"))
}

pub fn show_environment(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure("show-environment: not implemented yet"))
}
