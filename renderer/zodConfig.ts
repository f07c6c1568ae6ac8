/**
 * Imported first: zod's JIT probes `new Function`, which the strict CSP (`script-src 'self'`)
 * refuses and reports as a violation even though zod catches it. Parsing without the JIT is fast
 * enough for replies of this size.
 */
import * as z from 'zod';

z.config({ jitless: true });
