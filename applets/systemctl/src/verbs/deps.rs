//! `list-dependencies`. (stub: filled in by the show/list work item)

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};

pub fn list_dependencies(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure("list-dependencies: not implemented yet"))
}
