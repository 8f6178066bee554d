// The Prometheus response decoder (decode_prometheus_response, parse_prometheus_value) on inline
// documents, without a server. The client against a real Prometheus is in
// prometheus_client_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "agent/source/prometheus_client.h"

namespace opspilot::agent {
namespace {

TEST(PrometheusClientDecode, MatrixWithSpecialValuesAndEscapedLabels) {
  const std::string body = R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"http_requests_total","path":"/a\"b\u00e9"},
     "values":[[1700000000,"1"],[1700000000.5,"NaN"],[1700000001.25,"+Inf"],[1700000002,"-Inf"],
               [1700000003,"-1.5e-3"]]},
    {"metric":{},"values":[]}]},
    "warnings":["PromQL info: something odd"]})";
  PromResponse r;
  ASSERT_EQ(decode_prometheus_response(body, r), "");
  EXPECT_EQ(r.status, "success");
  EXPECT_EQ(r.result.type, PromResultType::Matrix);
  ASSERT_EQ(r.result.series.size(), 2u);
  const auto& s = r.result.series[0];
  EXPECT_EQ(s.labels.at("__name__"), "http_requests_total");
  EXPECT_EQ(s.labels.at("path"), "/a\"b\xC3\xA9");
  ASSERT_EQ(s.samples.size(), 5u);
  EXPECT_DOUBLE_EQ(s.samples[0].time, 1700000000.0);
  EXPECT_DOUBLE_EQ(s.samples[0].value, 1.0);
  EXPECT_DOUBLE_EQ(s.samples[1].time, 1700000000.5);
  EXPECT_TRUE(std::isnan(s.samples[1].value));
  EXPECT_EQ(s.samples[2].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.samples[3].value, -std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(s.samples[4].value, -0.0015);
  EXPECT_TRUE(r.result.series[1].samples.empty());
  ASSERT_EQ(r.result.warnings.size(), 1u);
  EXPECT_EQ(r.result.warnings[0], "PromQL info: something odd");
  EXPECT_EQ(r.result.sample_count(), 5u);
}

TEST(PrometheusClientDecode, VectorScalarAndString) {
  PromResponse r;
  ASSERT_EQ(decode_prometheus_response(
                R"({"status":"success","data":{"resultType":"vector","result":[)"
                R"({"metric":{"job":"a"},"value":[1700000000.123,"42"]},)"
                R"({"metric":{"job":"b"},"value":[1700000000.123,"NaN"]}]}})",
                r),
            "");
  EXPECT_EQ(r.result.type, PromResultType::Vector);
  ASSERT_EQ(r.result.series.size(), 2u);
  EXPECT_EQ(r.result.series[1].labels.at("job"), "b");
  EXPECT_DOUBLE_EQ(r.result.series[0].samples.at(0).value, 42);
  EXPECT_TRUE(std::isnan(r.result.series[1].samples.at(0).value));

  ASSERT_EQ(decode_prometheus_response(
                R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"-Inf"]}})", r),
            "");
  EXPECT_EQ(r.result.type, PromResultType::Scalar);
  ASSERT_EQ(r.result.series.size(), 1u);
  EXPECT_TRUE(r.result.series[0].labels.empty());
  EXPECT_EQ(r.result.series[0].samples.at(0).value, -std::numeric_limits<double>::infinity());

  // resultType after result: the order of keys is not part of JSON's contract.
  ASSERT_EQ(decode_prometheus_response(
                R"({"data":{"result":[1700000000,"hello"],"resultType":"string"},"status":"success"})", r),
            "");
  EXPECT_EQ(r.result.type, PromResultType::String);
  EXPECT_EQ(r.result.string_value, "hello");
}

TEST(PrometheusClientDecode, ErrorDocumentAndUnknownFieldsSkipped) {
  PromResponse r;
  ASSERT_EQ(decode_prometheus_response(
                R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})",
                r),
            "");
  EXPECT_EQ(r.status, "error");
  EXPECT_EQ(r.error_type, "bad_data");
  EXPECT_EQ(r.error, "1:5: parse error: unclosed left parenthesis");

  // Fields this decoder does not know (query stats, infos, native histograms) are skipped whole,
  // including nested arrays that would otherwise look like samples.
  ASSERT_EQ(decode_prometheus_response(
                R"({"status":"success","infos":["x"],"data":{"resultType":"matrix","stats":{"timings":{"a":[1,2]}},)"
                R"("result":[{"metric":{"a":"b"},"histograms":[[1,{"count":"2","buckets":[[0,"1","2","3"]]}]],)"
                R"("values":[[1,"2"]],"extra":null}]},"warnings":null})",
                r),
            "");
  ASSERT_EQ(r.result.series.size(), 1u);
  ASSERT_EQ(r.result.series[0].samples.size(), 1u);
  EXPECT_DOUBLE_EQ(r.result.series[0].samples[0].value, 2);
}

TEST(PrometheusClientDecode, MalformedDocumentsGiveClearErrors) {
  const std::string matrix_head = R"({"status":"success","data":{"resultType":"matrix","result":[)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed JSON: parse error at line 1, column 1"},
      {R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]})",
       "malformed JSON"},
      {"[1,2]", "expected a JSON object, found an array"},
      {"<html>502 Bad Gateway</html>", "malformed JSON"},
      {R"({"status":"success"} trailing)", "malformed JSON"},
      {R"({"data":{"resultType":"vector","result":[]}})", "missing \"status\""},
      {R"({"status":"maybe","data":{"resultType":"vector","result":[]}})",
       "unknown status \"maybe\" (expected \"success\" or \"error\")"},
      {R"({"status":"success","data":{"result":[]}})", "missing data.resultType"},
      {R"({"status":"success","data":{"resultType":"histogram","result":[]}})",
       "unknown data.resultType \"histogram\""},
      {R"({"status":7})", "\"status\" has the wrong type (found a number)"},
      {matrix_head + R"({"metric":{},"values":[[1,"abc"]]}]}})",
       "data.result[0].values[0]: sample value \"abc\" is not a number"},
      {matrix_head + R"({"metric":{},"values":[[1,"1"],[2,3]]}]}})",
       "data.result[0].values[1]: expected the sample value as a string, found a number"},
      {matrix_head + R"({"metric":{},"values":[[1,"1"]]},{"metric":{},"values":[[1,"1","2"]]}]}})",
       "data.result[1].values[0]: a sample has more than two elements"},
      {matrix_head + R"({"metric":{},"values":[[1]]}]}})",
       "data.result[0].values[0]: expected a [time, \"value\"] pair"},
      {matrix_head + R"({"metric":{"a":1},"values":[]}]}})", "data.result[0].metric: unexpected number"},
      {R"({"status":"success","data":{"resultType":"scalar","result":[]}})",
       "a scalar result must be [time, \"value\"]"},
      {R"({"status":"success","data":{"resultType":"vector","result":[1,"2"]}})",
       "a vector result must be a list of series objects"},
      {R"({"status":"error"})", "neither \"errorType\" nor \"error\""},
  };
  for (const auto& [body, expected] : cases) {
    PromResponse r;
    const std::string err = decode_prometheus_response(body, r);
    EXPECT_NE(err.find(expected), std::string::npos)
        << "body: " << body << "\nerror: " << err << "\nexpected to contain: " << expected;
  }
}

TEST(PrometheusClientDecode, ParseValue) {
  double v = 0;
  EXPECT_TRUE(parse_prometheus_value("1e3", v));
  EXPECT_EQ(v, 1000);
  EXPECT_TRUE(parse_prometheus_value("-0.25", v));
  EXPECT_EQ(v, -0.25);
  EXPECT_TRUE(parse_prometheus_value("NaN", v));
  EXPECT_TRUE(std::isnan(v));
  EXPECT_TRUE(parse_prometheus_value("+Inf", v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  EXPECT_TRUE(parse_prometheus_value("-Inf", v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  for (const char* bad : {"", "abc", "1.5x", " 1", "1 ", "0x10"}) {
    EXPECT_FALSE(parse_prometheus_value(bad, v)) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace opspilot::agent
