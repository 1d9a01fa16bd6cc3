//! Helpers shared by the diagnostics tests: a writer that keeps what a progress bar prints.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lazydag_diagnostics::ProgressBar;

/// The lines a bar writes, kept in memory (clones share them).
#[derive(Clone, Default)]
pub(crate) struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    /// Everything written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Everything written so far, line by line.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }
}

/// A bar that shows at once and writes its lines to `log`.
pub(crate) fn lines_bar(log: &Log) -> Arc<ProgressBar> {
    Arc::new(ProgressBar::new().minimum(Duration::ZERO).lines_to(log.clone()))
}
