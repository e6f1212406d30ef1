using Analytics.Api.Schemas;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapContractSchemasApi();

return await app.RunServiceAsync();
