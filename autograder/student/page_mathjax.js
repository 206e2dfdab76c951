/* MathJax 2 settings of every page that shows a notebook (the submission PDF, the feedback pages, any
   grading page), set as window.MathJax before MathJax.js loads.

   Math wider than its box is first broken into lines at operators and relations (automatic line
   breaking, done once, for the width the box has when the page is typeset). A display that still
   does not fit (a wide matrix, one long fraction) is scaled down to the width: after each typesetting
   pass for the screen, and again just before printing for the printed width (page_style.css), since
   a page typeset in a wide window would otherwise lose the right of its math on paper. */
(function () {
  function printWidth() {
    var probe = document.createElement("div");
    probe.style.cssText = "position:absolute;visibility:hidden;width:var(--page-print-width,7.25in)";
    document.body.appendChild(probe);
    var width = probe.getBoundingClientRect().width;
    document.body.removeChild(probe);
    return width;
  }

  // Scale each display whose math is wider than the room it has; `printing`: the room it will have
  // on paper, where the page is as wide as the print width (what surrounds the math keeps its width).
  function fitDisplays(printing) {
    var displays = document.querySelectorAll(".MathJax_Display");
    var page = printing ? printWidth() : 0;
    var body = document.body.getBoundingClientRect().width;
    for (var i = 0; i < displays.length; i++) {
      var box = displays[i];
      box.style.zoom = "";
      var room = printing ? Math.min(box.clientWidth, page - (body - box.clientWidth)) : box.clientWidth;
      if (box.scrollWidth > room && room > 0) {
        box.style.zoom = String(room / box.scrollWidth);
      }
    }
  }

  window.addEventListener("beforeprint", function () { fitDisplays(true); });
  window.addEventListener("afterprint", function () { fitDisplays(false); });

  window.MathJax = {
    tex2jax: {
      inlineMath: [["$", "$"], ["\\(", "\\)"]],
      displayMath: [["$$", "$$"], ["\\[", "\\]"]],
      processEscapes: true,
      processEnvironments: true
    },
    TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
    displayAlign: "center",
    messageStyle: "none",
    // jupyter-server-mathjax ships only the STIX-Web fonts: without this MathJax asks for its TeX fonts.
    "HTML-CSS": {
      availableFonts: [],
      preferredFont: null,
      webFont: "STIX-Web",
      imageFont: null,
      linebreaks: {automatic: true}
    },
    CommonHTML: {linebreaks: {automatic: true}},
    SVG: {linebreaks: {automatic: true}},
    AuthorInit: function () {
      MathJax.Hub.Register.MessageHook("End Process", function () { fitDisplays(false); });
    }
  };
})();
