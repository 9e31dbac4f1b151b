/**
 * Why a whole file is refused (not a ZIP, a ZIP bomb, a missing header column...). Row-level problems
 * are not refusals: those rows are quarantined and the rest of the file is accepted.
 */
export class FileRefusal extends Error {
  constructor(
    readonly code: string,
    readonly text: { id: string; en: string },
    /** 413 for files over a size or row limit, 400 for everything else. */
    readonly status: 400 | 413 = 400,
    readonly field = 'file',
  ) {
    super(text.en);
  }
}

export const refuse = (code: string, id: string, en: string, status: 400 | 413 = 400) => new FileRefusal(code, { id, en }, status);
