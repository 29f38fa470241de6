/** Word positions shared by `shared-free-list.test.ts` and its worker. */
export const FL = {
  HEAD: 0,
  LOCK: 1,
  COUNT: 2,
  MUTEX: 3,
  COUNTER: 4,
  NEXT: 8,
  /** Holder map after `NEXT + entries`. */
  HOLDERS: 8 + 32,
} as const;

export interface FreeListWorkerData {
  control: SharedArrayBuffer;
  entries: number;
  rounds: number;
}
