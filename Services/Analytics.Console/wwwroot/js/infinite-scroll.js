// Asks the page for its next page of rows when the "Load more" button scrolls into view, so an
// operator scrolling the inbox never has to click; the button stays for keyboard users.
export function observe(element, component) {
    const observer = new IntersectionObserver(entries => {
        if (entries.some(entry => entry.isIntersecting)) {
            component.invokeMethodAsync("ReachedAsync");
        }
    }, { rootMargin: "200px" });
    observer.observe(element);
    return { dispose: () => observer.disconnect() };
}
