//! The shared conformance suite, on the in-memory store.

callreg_core::conformance_tests!(callreg_store_memory::MemoryStore::new());
