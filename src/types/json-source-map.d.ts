declare module 'json-source-map' {
  export interface Location { line: number; column: number; pos: number }
  export interface Pointer { value: Location; valueEnd: Location; key?: Location; keyEnd?: Location }
  export function parse(json: string): { data: unknown; pointers: Record<string, Pointer> };
  const _default: { parse: typeof parse };
  export default _default;
}
