package refreshcmd

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// endpointTagsAPI is the part of the SageMaker client that reads an endpoint's tags, with the
// SDK's exact signatures.
type endpointTagsAPI interface {
	DescribeEndpoint(ctx context.Context, params *sagemaker.DescribeEndpointInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error)
	ListTags(ctx context.Context, params *sagemaker.ListTagsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

var _ endpointTagsAPI = (*sagemaker.Client)(nil)

// endpointTags returns the endpoint's tags (key -> value); found is false when the endpoint does
// not exist. The endpoint construct tags its endpoints with refresher.TagStateTable,
// TagConfigA and TagConfigB.
func endpointTags(ctx context.Context, api endpointTagsAPI, endpoint string) (tags map[string]string, found bool, err error) {
	out, err := api.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	if refresher.IsEndpointNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("describe endpoint %s: %w", endpoint, err)
	}
	tags = map[string]string{}
	pages := sagemaker.NewListTagsPaginator(api, &sagemaker.ListTagsInput{ResourceArn: out.EndpointArn})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, true, fmt.Errorf("list tags of endpoint %s: %w", endpoint, err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, true, nil
}
