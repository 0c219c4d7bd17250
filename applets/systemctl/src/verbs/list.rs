//! `list-units`. (stub: filled in by the show/list work item)

use crate::context::Ctx;
use crate::exit::{CtlError, CtlResult};

pub fn list_units(_ctx: &Ctx) -> CtlResult {
    Err(CtlError::failure("list-units: not implemented yet"))
}
