/** Rules for memory metadata field names, shared by MEM_WRITE's metadata and MEM_READ's where filter. */

/** Set by the kernel on every memory; a process can filter on them but never set them. */
export const RESERVED_METADATA_KEYS: readonly string[] = ['pid', 'ts', 'key'];

/** A field name: starts with a letter or _, then letters, digits, _ . - (no `$`: that is an operator). */
export const METADATA_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Comparison operators a where filter may use, and which take numbers only. */
export const WHERE_OPERATORS: readonly string[] = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'];
export const NUMERIC_OPERATORS: readonly string[] = ['$gt', '$gte', '$lt', '$lte'];
export const LOGICAL_OPERATORS: readonly string[] = ['$and', '$or'];
