//! Conformance cases of records.

use crate::store::CrmStore;
use super::kit::Portal;

/// The records cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_records_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(store records, $make_store, [
            placeholder,
        ]);
    };
}

/// Placeholder.
pub fn placeholder<S: CrmStore>(store: S) {
    let _ = Portal::new(store);
}
