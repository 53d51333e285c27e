//! libFuzzer target for live mode's request decoder,
//! `kafkascope::live::frame::decode_request`, and for what the gateway
//! decodes inside a request (`kafkascope::live::translate`).
//!
//! The oracle: nothing panics and nothing aborts. The target allocates
//! through `GuardedAlloc`, as the `kafkascope` binary does, so a frame that
//! claims billions of array elements is refused instead of aborting.
#![no_main]

use bytes::Bytes;
use kafkascope::live::alloc_guard::GuardedAlloc;
use kafkascope::live::{frame, translate};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: GuardedAlloc<std::alloc::System> = GuardedAlloc(std::alloc::System);

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(request) = frame::decode_request(bytes.clone()) {
        let _ = request.correlation_id();
        let _ = request.client_id();
    }
    // The same bytes as a partition's records, a subscription and an
    // assignment.
    let _ = translate::decode_produce_batch(&bytes);
    let _ = translate::decode_subscription(&bytes);
    let _ = translate::decode_assignment(&bytes);
});
