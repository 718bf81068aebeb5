// The API's request and response schemas, by area; they validate requests and make the OpenAPI document.

export * from "./admin";
export * from "./agents";
export * from "./common";
export * from "./operations";
export * from "./runs";
