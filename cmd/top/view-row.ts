/** A process as a row of the dashboard: its listing plus what top derives (rate, age, tree depth). */
import type { ProcRow } from '../../protocol/views.js';

export interface ViewRow extends ProcRow {
  rate: number;
  age: number;
  /** Depth under a shown ancestor, in the tree view. */
  depth?: number;
}
