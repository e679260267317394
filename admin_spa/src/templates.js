// Each creative template's fields: whether it is required, and the most characters it may have.
// The admin API's definition (xsell/admin/documents.py TEMPLATE_LIMITS) is the rule; this copy
// drives the form and its counters, and tests/unit/test_template_limits.py keeps the two equal.

/** @type {Record<string, Record<string, [boolean, number]>>} */
export const TEMPLATE_LIMITS = {
  image_banner: { image_url: [true, 2048], link_url: [true, 2048], alt: [true, 100] },
  text_card: { title: [true, 40], link_url: [true, 2048], body: [false, 120], cta: [false, 20] },
  image_text: {
    title: [true, 30],
    image_url: [true, 2048],
    link_url: [true, 2048],
    body: [false, 80],
    cta: [false, 16],
    alt: [false, 100],
  },
};

/** A template's required and optional fields (in the definition's order) and their limits. @param {string} template */
export function templateSpec(template) {
  const limits = TEMPLATE_LIMITS[template] || TEMPLATE_LIMITS.text_card;
  const names = Object.keys(limits);
  return {
    required: names.filter((n) => limits[n][0]),
    optional: names.filter((n) => !limits[n][0]),
    limit: (/** @type {string} */ name) => limits[name]?.[1] ?? 0,
  };
}
