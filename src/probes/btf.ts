// The BTF reader lives in src/btf (types, enums and functions); probe types import it from here.
export * from '../btf';
