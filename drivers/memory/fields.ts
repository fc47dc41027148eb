/** Rules for memory metadata field names, shared by MEM_WRITE's metadata and MEM_READ's where filter: they live in the driver API header. */
export { LOGICAL_OPERATORS, METADATA_KEY_PATTERN, NUMERIC_OPERATORS, RESERVED_METADATA_KEYS, WHERE_OPERATORS } from '../../kernel/driver-api.js';
