/** The limits a user gives the model pool per provider or model (AOS_LIMITS): kept with every model limit in sys/model-limits.ts. */
export { parseLimits, type LaneLimits } from '../../sys/model-limits.js';
