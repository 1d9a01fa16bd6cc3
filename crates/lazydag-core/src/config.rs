//! Runtime selection of the default scheduler (placeholder: always `Sync`).

use std::sync::Arc;

use crate::error::Error;
use crate::scheduler::{Scheduler, Sync};

/// The scheduler configured for this thread right now.
pub(crate) fn resolve() -> Result<Arc<dyn Scheduler>, Error> {
    Ok(Arc::new(Sync))
}
