/** A table read from a file: the first row is the header; rowNumbers says where each row sits in the file. */
export interface Sheet {
  rows: string[][];
  /** Row (XLSX) or line (CSV) number of each entry of `rows`, as a person opening the file would count. */
  rowNumbers: number[];
}
