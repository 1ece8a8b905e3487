export type Type = any;
