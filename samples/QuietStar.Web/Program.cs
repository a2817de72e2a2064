using QuietStar.Web;

// Options (appsettings, environment QuietStar__Model=…, or --QuietStar:Model=…): see QuietStarWebOptions.
var app = QuietStarWeb.Build(args);
app.Run();
