/* JupyterLab federated extension with only a style module: it adds fonts.css, which brings the
 * course's Korean fonts. JupyterLab loads this script from labextensions/<name>/static/, calls
 * init() on the container and then get("./style")(). Hand-written instead of built with webpack
 * because it shares no code with JupyterLab: the container protocol is all it needs.
 * (workshop/lab_fonts.py installs it into the venv with the font files from node_modules.)
 */
(function () {
  var NAME = "serverless-workshop-fonts";
  var here = document.currentScript && document.currentScript.src;
  var registry = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  registry[NAME] = {
    init: function () {},
    get: function (module) {
      if (module !== "./style") {
        return Promise.reject(new Error(NAME + " has no module " + module));
      }
      return Promise.resolve(function () {
        var link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = new URL("fonts.css", here || window.location.href).href;
        link.dataset.extension = NAME;
        document.head.appendChild(link);
        return {};
      });
    }
  };
})();
