// BTF's numeric constants (include/uapi/linux/btf.h), shared by the reader of
// vmlinux BTF and the writer of the small BTF blob programs are loaded with.
export const BTF_MAGIC = 0xeb9f;

export const enum BtfKind {
  INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, VOLATILE = 9,
  CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14, DATASEC = 15, FLOAT = 16,
  DECL_TAG = 17, TYPE_TAG = 18, ENUM64 = 19,
}

/** Linkage of a FUNC type, kept in its vlen bits. */
export const enum BtfFuncLinkage { STATIC = 0, GLOBAL = 1 }

/** Encoding bit of an INT type. */
export const BTF_INT_SIGNED = 1;
