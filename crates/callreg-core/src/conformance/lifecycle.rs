//! Conformance cases of lifecycle.

use crate::store::CrmStore;
use super::kit::Portal;

/// The lifecycle cases, for [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_lifecycle_cases {
    ($make_store:expr) => {
        $crate::__conformance_module!(store lifecycle, $make_store, [
            placeholder,
        ]);
    };
}

/// Placeholder.
pub fn placeholder<S: CrmStore>(store: S) {
    let _ = Portal::new(store);
}
