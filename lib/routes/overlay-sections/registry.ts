import { canarySection } from './canary';
import { faultSection } from './fault';
import { previewsSection } from './previews';
import { rateLimitSection } from './rate-limit';
import { retriesSection } from './retries';
import { rulesSection } from './rules';
import { timeoutSection } from './timeout';

/**
 * Every overlay section, by its key in the overlays object (and the annotation), in the order they are
 * parsed, checked and described. A new section is one file beside this one and one line here.
 */
export const OVERLAY_SECTIONS = {
  canary: canarySection,
  rules: rulesSection,
  previews: previewsSection,
  retries: retriesSection,
  timeout: timeoutSection,
  fault: faultSection,
  rateLimit: rateLimitSection,
};
