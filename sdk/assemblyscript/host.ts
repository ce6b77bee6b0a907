// The host functions of the node (ABI.md, "Imports"). These three are the only imports a
// bundle may declare; the node refuses a module that imports anything else.

@external("env", "host_log_impl")
export declare function host_log_impl(level: i32, ptr: usize, len: i32): void;

@external("env", "__seq_send")
export declare function __seq_send(labelPtr: usize, labelLen: i32, payloadPtr: usize, payloadLen: i32): i32;

@external("env", "host_now_ns")
export declare function host_now_ns(): i64;
