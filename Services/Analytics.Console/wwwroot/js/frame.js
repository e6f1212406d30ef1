// Where an element is drawn on screen, so the zone editor can turn pointer positions into image coordinates.
export function rect(element) {
    const r = element.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
}
