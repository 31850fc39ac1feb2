// Injected into every page of the kiosk's e-service web view (main world).
// window.__vgSensitiveRects(): where the fields an agent must never see are, for the
// screen share's masks. window.__vgCoach: the coach's outline around one element.
(function () {
    if (window.__vgSensitiveRects) return;
    var SENSITIVE = 'input[type=password], input[autocomplete~="cc-number"],' +
        ' input[autocomplete~="cc-csc"], input[autocomplete~="cc-exp"],' +
        ' input[autocomplete~="cc-exp-month"], input[autocomplete~="cc-exp-year"],' +
        ' [data-vg-sensitive]';
    // CSS px relative to the viewport, with what a grab needs to turn them into pixels.
    window.__vgSensitiveRects = function () {
        var rects = [];
        document.querySelectorAll(SENSITIVE).forEach(function (el) {
            var r = el.getBoundingClientRect();
            if (r.width > 0 && r.height > 0 &&
                r.bottom > 0 && r.right > 0 && r.top < window.innerHeight && r.left < window.innerWidth) {
                rects.push({ x: r.left, y: r.top, w: r.width, h: r.height });
            }
        });
        return { rects: rects, devicePixelRatio: window.devicePixelRatio,
                 viewport: { w: window.innerWidth, h: window.innerHeight },
                 scroll: { x: window.scrollX, y: window.scrollY } };
    };
    var OUTLINE_ID = '__vg-coach-outline';
    window.__vgCoach = {
        // Draws a thick outline around the first element matching `selector`
        // (none: removes it). Returns whether the element was found.
        highlight: function (selector) {
            var old = document.getElementById(OUTLINE_ID);
            if (old) old.remove();
            if (!selector) return false;
            var el = document.querySelector(selector);
            if (!el) return false;
            el.scrollIntoView({ block: 'center' });
            var r = el.getBoundingClientRect();
            var box = document.createElement('div');
            box.id = OUTLINE_ID;
            box.setAttribute('aria-hidden', 'true');
            box.style.cssText = 'position:absolute;pointer-events:none;z-index:2147483647;' +
                'border:6px solid #F5A623;border-radius:10px;box-shadow:0 0 0 4px #1F2933;' +
                'left:' + (r.left + window.scrollX - 10) + 'px;top:' + (r.top + window.scrollY - 10) + 'px;' +
                'width:' + (r.width + 8) + 'px;height:' + (r.height + 8) + 'px;';
            document.body.appendChild(box);
            return true;
        }
    };
})();
