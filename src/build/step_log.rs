//! The steps a build ran and how each ended, for callers that follow a
//! build from outside (watch mode's `build_end` event).

use std::sync::{Arc, Mutex};

use crate::graph::EdgeId;

/// Finished steps: the edge, and whether it succeeded.
type Finished = Vec<(EdgeId, bool)>;

/// A shared list of finished steps; disabled (records nothing) by default.
/// Clones share one list.
#[derive(Clone, Debug, Default)]
pub struct StepLog(Option<Arc<Mutex<Finished>>>);

impl StepLog {
    /// A log that records.
    pub fn enabled() -> StepLog {
        StepLog(Some(Arc::default()))
    }

    /// Notes that `edge` finished, successfully or not.
    pub fn record(&self, edge: EdgeId, succeeded: bool) {
        if let Some(list) = &self.0 {
            list.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((edge, succeeded));
        }
    }

    /// The steps recorded so far, in the order they finished; empties the log.
    pub fn take(&self) -> Vec<(EdgeId, bool)> {
        match &self.0 {
            Some(list) => std::mem::take(&mut *list.lock().unwrap_or_else(|e| e.into_inner())),
            None => Vec::new(),
        }
    }
}
