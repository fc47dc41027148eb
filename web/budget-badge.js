// @ts-check
import { get } from './api.js';

/**
 * The header's badge: the budget count nearest its limit, once at 80 % (red when spent, with how
 * many are paused on it). A count that pauses processes comes first and is red whatever its share:
 * a request whose prompt does not fit what is left is refused before the limit is reached.
 * @param {HTMLElement} badge
 */
export async function renderBudgetBadge(badge) {
  const { budgets } = await get('/api/budgets');
  const counts = budgets.flatMap((b) => b.counts.map((c) => ({ name: b.name, ...c })));
  const top = counts.sort((a, b) => Math.sign(b.paused.length) - Math.sign(a.paused.length) || b.share - a.share)[0];
  badge.hidden = !top || (top.share < 0.8 && top.paused.length === 0);
  if (!top || badge.hidden) return;
  badge.classList.toggle('spent', top.share >= 1 || top.paused.length > 0);
  badge.textContent = `budget ${top.name} ${Math.round(top.share * 100)}%${top.paused.length ? ` · ${top.paused.length} paused` : ''}`;
  badge.title = `${top.key} ${top.window}: aos budget show ${top.name}`;
}
